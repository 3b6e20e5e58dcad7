using Akka.Configuration;
using Akka.Persistence.Sql;
using Xunit.Abstractions;

namespace FlowActors.Cluster.Tests;

/// <summary>TestKit with our serializer, serialize-messages on, and Akka.Persistence.Sql on SQLite in a temp dir.</summary>
public abstract class PersistentTestKit : Akka.TestKit.Xunit2.TestKit
{
    private readonly TempDirectory _dir;

    protected PersistentTestKit(ITestOutputHelper output) : this(Prepared(SqliteTempDirectory.Create()), output) { }

    private static TempDirectory Prepared(TempDirectory dir)
    {
        Hosting.SqliteDatabase.Prepare("Data Source=" + dir.File("test.db"));
        return dir;
    }

    private PersistentTestKit(TempDirectory dir, ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString(TestConfig.Serialization + "\n" + InProcessReferenceSerializer.Hocon + "\n" + TestConfig.SqlitePersistence(dir.File("test.db")))
            .WithFallback(SqlPersistence.DefaultConfiguration), output: output)
    {
        _dir = dir;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _dir.Dispose();
    }
}
