using System.CommandLine;

namespace FlowActors.Cli;

/// <summary>
/// <c>flowctl completion bash|zsh|pwsh</c>: prints a script that asks flowctl itself for completions through
/// System.CommandLine's <c>[suggest:POSITION]</c> directive, so the shell completes exactly the commands, palettes and
/// options of the tree that parses them.
/// </summary>
internal static class CompletionCommand
{
    /// <summary>The shells a script is written for.</summary>
    public static readonly string[] Shells = ["bash", "zsh", "pwsh"];

    /// <summary>The <c>completion</c> command.</summary>
    public static Command Create(Flowctl flowctl)
    {
        var shell = new Argument<string>("shell") { HelpName = "bash|zsh|pwsh", Description = "the shell to write the script for" };
        shell.CompletionSources.Add(Shells);
        shell.Validators.Add(result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (!Shells.Contains(text)) result.AddError($"'{text}' is not a valid value for shell. Give bash, zsh or pwsh.");
        });
        var command = new Command("completion", "Print a shell completion script: source <(flowctl completion bash), source <(flowctl completion zsh), or flowctl completion pwsh | Out-String | Invoke-Expression. The script asks 'flowctl [suggest:POSITION] \"COMMAND LINE\"' for the candidates.")
        {
            shell,
        };
        command.SetAction(parseResult =>
        {
            flowctl.Output.Write(Script(parseResult.GetValue(shell)!));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The completion script for <paramref name="shell"/>.</summary>
    public static string Script(string shell) => shell switch
    {
        "bash" => """
            # flowctl completion for bash: source <(flowctl completion bash)
            _flowctl_complete() {
                local IFS=$'\n'
                local candidates
                candidates=$(flowctl "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)
                COMPREPLY=( $(compgen -W "${candidates}" -- "${COMP_WORDS[COMP_CWORD]}") )
            }
            complete -o default -F _flowctl_complete flowctl

            """,
        "zsh" => """
            #compdef flowctl
            # flowctl completion for zsh: source <(flowctl completion zsh)
            _flowctl_complete() {
                local -a candidates
                candidates=( ${(f)"$(flowctl "[suggest:${CURSOR}]" "${BUFFER}" 2>/dev/null)"} )
                compadd -- "${candidates[@]}"
            }
            compdef _flowctl_complete flowctl

            """,
        "pwsh" => """
            # flowctl completion for PowerShell: flowctl completion pwsh | Out-String | Invoke-Expression
            Register-ArgumentCompleter -Native -CommandName flowctl -ScriptBlock {
                param($wordToComplete, $commandAst, $cursorPosition)
                & flowctl "[suggest:$cursorPosition]" "$commandAst" 2>$null | ForEach-Object {
                    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
                }
            }

            """,
        _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "bash, zsh or pwsh"),
    };
}
