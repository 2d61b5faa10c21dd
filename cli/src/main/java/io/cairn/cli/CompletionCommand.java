package io.cairn.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "completion", description = {"Print a shell completion script for cairn's commands and options:",
        "  source <(cairn completion bash)      (or save it under /etc/bash_completion.d/cairn)",
        "  source <(cairn completion zsh)"})
final class CompletionCommand implements Callable<Integer> {
    @ParentCommand
    CairnCli root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "bash|zsh")
    String shell;

    @Override
    public Integer call() {
        String script = AutoComplete.bash("cairn", spec.root().commandLine());
        switch (shell) {
            case "bash" -> root.out.print(script);
            // The same script, read by zsh through its bash completion layer.
            case "zsh" -> root.out.print("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script);
            default -> throw new CairnCli.UsageException("completion takes bash or zsh, got \"" + shell + "\"");
        }
        root.out.flush();
        return 0;
    }
}
