using AudioClassifier.Cli;

return AudioClfCommand.Create().Parse(args).Invoke();
