namespace FlowActors.Cluster.Tests;

/// <summary>HOCON shared by the actor tests: our serializer, and every message really serialized.</summary>
internal static class TestConfig
{
    public const string Serialization = """
        akka.loglevel = WARNING
        akka.actor.serialize-messages = on
        akka.actor.serialize-creators = off
        akka.actor.serializers.flowactors = "FlowActors.Cluster.Serialization.FlowActorsSerializer, FlowActors.Cluster"
        akka.actor.serialization-bindings {
          "FlowActors.Cluster.Messages.IFlowActorsMessage, FlowActors.Cluster" = flowactors
        }
        akka.actor.serialization-identifiers {
          "FlowActors.Cluster.Serialization.FlowActorsSerializer, FlowActors.Cluster" = 4711
        }
        """;

    /// <summary>serialize-messages on for every local send (with the plugin-internal exemptions).</summary>
    public static string SerializationChecks => """
        akka.actor.serialize-messages = on
        akka.actor.serialize-creators = off
        """ + "\n" + InProcessReferenceSerializer.Hocon;

    /// <summary>Akka.Persistence.Sql on a SQLite file.</summary>
    public static string SqlitePersistence(string dbPath) => $$"""
        akka.persistence.journal.plugin = "akka.persistence.journal.sql"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.sql"
        akka.persistence.journal.sql {
          connection-string = "Data Source={{dbPath.Replace("\\", "/")}}"
          provider-name = "SQLite.MS"
          auto-initialize = on
        }
        akka.persistence.snapshot-store.sql {
          connection-string = "Data Source={{dbPath.Replace("\\", "/")}}"
          provider-name = "SQLite.MS"
          auto-initialize = on
        }
        """;
}
