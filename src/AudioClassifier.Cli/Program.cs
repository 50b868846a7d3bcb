using AudioClassifier.Cli;

return AudioClfCommand.Run(args);
