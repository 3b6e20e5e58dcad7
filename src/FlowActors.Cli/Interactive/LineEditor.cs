using System.Text;

namespace FlowActors.Cli.Interactive;

/// <summary>
/// A one-line editor for the prompt on a terminal: cursor keys, Home/End, Backspace/Delete, Ctrl-A/E/U/K, history on
/// up/down, Tab completion (a single candidate is inserted, several are extended to their common prefix and listed on a
/// second Tab), Ctrl-D on an empty line to leave. Reads keys with <see cref="Console.ReadKey(bool)"/>, redraws with
/// ANSI sequences.
/// </summary>
internal sealed class LineEditor(TextWriter output, Func<string, IReadOnlyList<string>> complete, int historyLimit)
{
    private readonly List<string> _history = [];

    /// <summary>The lines entered, oldest first (bounded by the history limit).</summary>
    public IReadOnlyList<string> History => _history;

    /// <summary>Reads one line after <paramref name="prompt"/>; null on Ctrl-D at an empty line or the end of input.</summary>
    public string? ReadLine(string prompt)
    {
        var line = new StringBuilder();
        int cursor = 0;
        int recalled = _history.Count;
        bool listedOnce = false;
        output.Write(prompt);
        output.Flush();
        while (true)
        {
            ConsoleKeyInfo key;
            try
            {
                key = Console.ReadKey(intercept: true);
            }
            catch (InvalidOperationException)
            {
                return null; // no console any more
            }

            bool tab = false;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    output.WriteLine();
                    output.Flush(); // the command's errors go to stderr, after this line
                    string text = line.ToString();
                    Remember(text);
                    return text;
                case ConsoleKey.Backspace when cursor > 0:
                    line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < line.Length:
                    line.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < line.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = line.Length;
                    break;
                case ConsoleKey.UpArrow when recalled > 0:
                    Replace(_history[--recalled]);
                    break;
                case ConsoleKey.DownArrow when recalled < _history.Count:
                    recalled++;
                    Replace(recalled == _history.Count ? "" : _history[recalled]);
                    break;
                case ConsoleKey.Tab:
                    tab = true;
                    Complete();
                    break;
                default:
                    if (key.Modifiers.HasFlag(ConsoleModifiers.Control) || key.KeyChar is < ' ' and not '\0')
                    {
                        switch (key.KeyChar == '\0' ? (char)(key.Key - ConsoleKey.A + 1) : key.KeyChar)
                        {
                            case '\u0004' when line.Length == 0: // Ctrl-D
                                output.WriteLine();
                                output.Flush();
                                return null;
                            case '\u0004' when cursor < line.Length:
                                line.Remove(cursor, 1);
                                break;
                            case '\u0001':
                                cursor = 0;
                                break;
                            case '\u0005':
                                cursor = line.Length;
                                break;
                            case '\u0015':
                                line.Remove(0, cursor);
                                cursor = 0;
                                break;
                            case '\u000b':
                                line.Remove(cursor, line.Length - cursor);
                                break;
                        }
                    }
                    else if (!char.IsControl(key.KeyChar))
                    {
                        line.Insert(cursor++, key.KeyChar);
                    }

                    break;
            }

            if (!tab) listedOnce = false;
            Redraw();
        }

        void Replace(string text)
        {
            line.Clear().Append(text);
            cursor = line.Length;
        }

        void Complete()
        {
            string before = line.ToString(0, cursor);
            var candidates = complete(before);
            if (candidates.Count == 0) return;
            string word = InteractiveSession.LastWord(before);
            string common = CommonPrefix(candidates);
            if (candidates.Count == 1) common += " ";
            if (common.Length > word.Length)
            {
                line.Insert(cursor, common[word.Length..]);
                cursor += common.Length - word.Length;
                listedOnce = false;
                return;
            }

            if (!listedOnce)
            {
                listedOnce = true;
                return;
            }

            // Second Tab with nothing more to insert: list the candidates under the line.
            output.WriteLine();
            output.WriteLine(string.Join("  ", candidates));
            output.Write(prompt);
            listedOnce = false;
        }

        void Redraw()
        {
            output.Write('\r');
            output.Write(prompt);
            output.Write(line.ToString());
            output.Write("\u001b[K");
            int back = line.Length - cursor;
            if (back > 0) output.Write($"\u001b[{back}D");
            output.Flush();
        }
    }

    private void Remember(string text)
    {
        if (text.Trim().Length == 0 || (_history.Count > 0 && _history[^1] == text)) return;
        _history.Add(text);
        if (_history.Count > historyLimit) _history.RemoveAt(0);
    }

    private static string CommonPrefix(IReadOnlyList<string> candidates)
    {
        string prefix = candidates[0];
        foreach (var c in candidates)
        {
            int n = 0;
            while (n < prefix.Length && n < c.Length && prefix[n] == c[n]) n++;
            prefix = prefix[..n];
        }

        return prefix;
    }
}
