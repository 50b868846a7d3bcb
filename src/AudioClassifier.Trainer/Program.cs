using AudioClassifier.Trainer.Commands;

return TrainerCommand.Create().Parse(args).Invoke();
