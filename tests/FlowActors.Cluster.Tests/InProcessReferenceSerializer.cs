using System.Buffers.Binary;
using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Serialization;

namespace FlowActors.Cluster.Tests;

/// <summary>
/// Test-only: lets <c>serialize-messages = on</c> pass the few internal messages Akka.Persistence.Sql 1.5.73 sends
/// between its own local actors (WriteFinished, QueryStartGranted, ReturnQueryStart), which its authors never made
/// serializable and which never leave a node. Everything else — in particular every FlowActors message — is
/// really serialized and deserialized on each send.
/// </summary>
public sealed class InProcessReferenceSerializer(ExtendedActorSystem system) : Serializer(system)
{
    private static readonly ConcurrentDictionary<long, object> Objects = new();
    private static long _next;

    /// <summary>The binding HOCON for the plugin's internal types.</summary>
    public const string Hocon = """
        akka.actor.serializers.in-process-reference = "FlowActors.Cluster.Tests.InProcessReferenceSerializer, FlowActors.Cluster.Tests"
        akka.actor.serialization-bindings {
          "Akka.Persistence.Sql.Journal.Types.WriteFinished, Akka.Persistence.Sql" = in-process-reference
          "Akka.Persistence.Sql.Query.QueryStartGranted, Akka.Persistence.Sql" = in-process-reference
          "Akka.Persistence.Sql.Query.ReturnQueryStart, Akka.Persistence.Sql" = in-process-reference
        }
        akka.actor.serialization-identifiers {
          "FlowActors.Cluster.Tests.InProcessReferenceSerializer, FlowActors.Cluster.Tests" = 4799
        }
        """;

    public override int Identifier => 4799;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        long id = Interlocked.Increment(ref _next);
        Objects[id] = obj;
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, id);
        return bytes;
    }

    public override object FromBinary(byte[] bytes, Type? type) =>
        Objects.TryRemove(BinaryPrimitives.ReadInt64LittleEndian(bytes), out var obj)
            ? obj
            : throw new System.Runtime.Serialization.SerializationException("Unknown in-process reference.");
}
