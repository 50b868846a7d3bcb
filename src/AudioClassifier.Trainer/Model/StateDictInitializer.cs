using TorchSharp;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Model;

/// <summary>
/// Initialises from a TorchSharp state-dict file (the format of <c>Module.save</c> and of TorchSharp's exportsd.py,
/// e.g. converted torchvision weights). Tensors whose name and shape match are copied; a 3-channel conv1 is summed to
/// one channel (and halved into both channels of a centred-channel network); anything else (such as a 1000-class fc)
/// is reported and left random.
/// </summary>
public static class StateDictInitializer
{
    public static InitializationReport Apply(AudioResNet18 model, string path)
    {
        var source = StateDictFile.Read(path);
        var state = model.state_dict();
        var done = new Dictionary<string, string>();
        using (no_grad())
        {
            foreach (var (name, target) in state)
            {
                if (!source.TryGetValue(name, out var t))
                    continue;
                // The scope holds every temporary until the copy has run (see ImageNetInitializer: TorchSharp does not
                // keep a tensor alive through the native call it is passed to).
                using var scope = NewDisposeScope();
                var value = t;
                string how = "state dict";
                if (name == "conv1.weight" && t.shape.Length == 4 && t.shape[1] == 3 && target.shape[1] is 1 or 2)
                {
                    value = t.sum(1, keepdim: true);
                    how = "state dict (RGB filters summed)";
                }
                if (name == "conv1.weight" && value.shape.Length == 4 && value.shape[1] == 1 && target.shape[1] == 2)
                {
                    value = AudioResNet18.HalvedIntoBothChannels(value);
                    how += ", halved into each of the two channels";
                }
                if (!value.shape.SequenceEqual(target.shape))
                    continue;
                var converted = value.to_type(target.dtype);
                target.copy_(converted);
                done[name] = $"{how}: {Path.GetFileName(path)}";
            }
        }
        foreach (var t in source.Values)
            t.Dispose();
        if (done.Count == 0)
            throw new InvalidDataException($"{path} shares no tensor (by name and shape) with ResNet18; is it a ResNet18 state dict?");
        var random = state.Keys.Where(k => !done.ContainsKey(k)).ToList();
        return new InitializationReport($"state-dict:{path}", done, random);
    }
}

/// <summary>Reads TorchSharp's state-dict file format: LEB128 count, then (name, dtype, rank, shape, raw data) entries.</summary>
public static class StateDictFile
{
    public static Dictionary<string, Tensor> Read(string path)
    {
        try
        {
            return ReadEntries(path);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path} is not a TorchSharp state dict (it ends in the middle of an entry).");
        }
    }

    private static Dictionary<string, Tensor> ReadEntries(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        long length = reader.BaseStream.Length;
        long count = Decode(reader);
        if (count is < 0 or > 100_000)
            throw new InvalidDataException($"{path} is not a TorchSharp state dict (entry count {count}).");
        var result = new Dictionary<string, Tensor>();
        for (long i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            // Another kind of file read as a state dict gives a "name" of raw bytes: never echoed to the terminal.
            if (name.Length is 0 or > 512 || name.Any(char.IsControl))
                throw new InvalidDataException($"{path} is not a TorchSharp state dict (entry {i + 1} has no readable tensor name).");
            var dtype = (ScalarType)Decode(reader);
            long rank = Decode(reader);
            if (rank is < 0 or > 8)
                throw new InvalidDataException($"{path}: tensor '{name}' has rank {rank}.");
            var shape = new long[rank];
            for (int d = 0; d < rank; d++)
                shape[d] = Decode(reader);
            long elements = shape.Aggregate(1L, (a, b) => a * b);
            int size = dtype switch
            {
                ScalarType.Float32 => 4,
                ScalarType.Float64 => 8,
                ScalarType.Int64 => 8,
                _ => throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {dtype}."),
            };
            long bytes = elements * size;
            if (bytes < 0 || bytes > length - reader.BaseStream.Position)
                throw new InvalidDataException($"{path}: tensor '{name}' declares {bytes} bytes but the file is shorter.");
            var data = reader.ReadBytes((int)bytes);
            var t = empty(shape, dtype);
            t.bytes = data;
            result[name] = t;
        }
        return result;
    }

    private static long Decode(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new InvalidDataException("Malformed LEB128 integer.");
    }
}
