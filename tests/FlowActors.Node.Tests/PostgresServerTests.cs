using System.Net.Sockets;
using FlowActors.Node.Tests.Harness;
using Npgsql;

namespace FlowActors.Node.Tests;

public sealed class PostgresServerTests
{
    [Fact]
    public async Task Harness_starts_a_throw_away_server_on_loopback_and_removes_it_afterwards()
    {
        string directory;
        int port;
        await using (var server = await PostgresServer.StartAsync())
        {
            directory = server.Directory;
            port = server.Port;
            string connectionString = await server.CreateDatabaseAsync("harness_check");
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_database()", connection);

            Assert.Equal("harness_check", await command.ExecuteScalarAsync());
        }

        Assert.False(Directory.Exists(directory));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = Assert.Throws<SocketException>(() => socket.Connect("127.0.0.1", port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }
}
