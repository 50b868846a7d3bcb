using AudioClassifier.Trainer.Commands;

// Ctrl-C (SIGINT) ends the process at once, since every command runs synchronously; say so first, and, for the
// commands that train, what the run folder keeps.
bool training = args.Length > 0 && args[0] is "train" or "cv";
Console.CancelKeyPress += (_, _) => Console.Error.WriteLine(Environment.NewLine + "interrupted (Ctrl-C)" + (training
    ? ": the run folder keeps the epochs finished so far and its last whole checkpoint (best.dat); " +
      "a cv run resumes from its finished folds when the same command is run again with the same --run-name"
    : ""));
return TrainerCommand.Run(args);
