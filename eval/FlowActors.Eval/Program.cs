using FlowActors.Eval;

// `dotnet pwsh ./build.ps1 eval`: replays every case, prints the scoreboard, exits 1 when a goal is missed.
// An argument keeps only the cases whose name contains it (for iterating on one case; goals then judge those).
var cases = Cases.All(AppContext.BaseDirectory).Where(c => args.Length == 0 || c.Name.Contains(args[0], StringComparison.Ordinal));
var board = Scoreboard.Run(cases);
board.Print(Console.Out);
return board.GoalsMet ? 0 : 1;
