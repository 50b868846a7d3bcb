using AudioClassifier.Trainer.Commands;

return TrainerCommand.Run(args);
