using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AudioClassifier.Api.InferenceProtocol;

/// <summary>
/// The Open Inference Protocol's REST encoding of an infer request and its answer: a JSON object, optionally followed
/// by raw tensor data (the binary tensor data extension: the JSON's length in the Inference-Header-Content-Length
/// header, then each binary input in order; BYTES elements each prefixed with their 4-byte little-endian length).
/// BYTES elements sent inside JSON are base64 strings (encoded audio is not text).
/// </summary>
public static class RestInferCodec
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    /// <summary>A parsed request: its id, inputs, requested outputs and whether every output should be binary.</summary>
    public sealed record Request(string? Id, IReadOnlyList<InferInput> Inputs, IReadOnlyList<RequestedOutput> Outputs);

    /// <param name="headerLength">The JSON's length when binary data follows it (null: the whole body is JSON).</param>
    public static Request Parse(ReadOnlySpan<byte> body, long? headerLength)
    {
        if (headerLength is { } n && (n < 0 || n > body.Length))
            throw Bad($"{HeaderLengthHeader} is {n} but the body has {body.Length} bytes.");
        var json = headerLength is { } h ? body[..(int)h] : body;
        var binary = headerLength is { } b ? body[(int)b..] : [];
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw Bad($"The request is not valid JSON: {e.Message}");
        }
        if (root is not JsonObject request)
            throw Bad("The request must be a JSON object with an 'inputs' array.");
        string? id = request["id"] is JsonValue idValue && idValue.TryGetValue<string>(out var s) ? s : null;
        bool allBinary = Bool(request["parameters"]?["binary_data_output"]);
        if (request["inputs"] is not JsonArray inputs)
            throw Bad("The request has no 'inputs' array.");
        int offset = 0;
        var parsed = new List<InferInput>();
        foreach (var node in inputs)
            parsed.Add(Input(node as JsonObject ?? throw Bad("Every input must be a JSON object."), binary, ref offset));
        if (offset != binary.Length)
            throw Bad($"The binary data after the JSON holds {binary.Length} bytes but the inputs' binary_data_size add up to {offset}.");
        var outputs = new List<RequestedOutput>();
        if (request["outputs"] is JsonArray requested)
        {
            foreach (var node in requested)
            {
                if (node is not JsonObject o || Str(o["name"]) is not { } name)
                    throw Bad("Every requested output must be an object with a 'name'.");
                var p = o["parameters"];
                outputs.Add(new RequestedOutput(name, Int(p?["classification"], $"output '{name}' parameter classification"), allBinary || Bool(p?["binary_data"])));
            }
        }
        else if (allBinary)
        {
            outputs.AddRange(InferenceRunner.Outputs.Select(name => new RequestedOutput(name, 0, true)));
        }
        return new Request(id, parsed, outputs);
    }

    private static InferInput Input(JsonObject o, ReadOnlySpan<byte> binary, ref int offset)
    {
        string name = Str(o["name"]) ?? throw Bad("An input has no 'name'.");
        string datatype = Str(o["datatype"]) ?? throw Bad($"Input '{name}' has no 'datatype'.");
        if (o["shape"] is not JsonArray shapeArray)
            throw Bad($"Input '{name}' has no 'shape' array.");
        var shape = shapeArray.Select(d => d is JsonValue v && v.TryGetValue<long>(out var x) && x >= 0 ? x : throw Bad($"Input '{name}': shape {shapeArray.ToJsonString()} must hold non-negative integers.")).ToArray();
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (datatype is not ("FP32" or "BYTES"))
            throw Bad($"Input '{name}': datatype {datatype} is not accepted (FP32 for '{InferenceRunner.FeaturesInput}', BYTES for '{InferenceRunner.AudioInput}').");
        var size = o["parameters"]?["binary_data_size"];
        if (size is not null)
        {
            int n = Int(size, $"input '{name}' parameter binary_data_size");
            if (n > binary.Length - offset)
                throw Bad($"Input '{name}': binary_data_size {n} runs past the {binary.Length - offset} binary bytes left.");
            var slice = binary.Slice(offset, n);
            offset += n;
            return datatype == "FP32" ? new InferInput(name, datatype, shape, TensorBytes.ReadFp32(name, slice), null) : new InferInput(name, datatype, shape, null, TensorBytes.ReadBytes(name, slice));
        }
        if (o["data"] is not JsonArray data)
            throw Bad($"Input '{name}' has neither 'data' nor binary_data_size.");
        if (count > 64L * 1024 * 1024)
            throw Bad($"Input '{name}': shape {InferenceRunner.Shape(shape)} declares {count} elements.");
        var flat = new List<JsonNode?>();
        Flatten(data, flat);
        if (datatype == "FP32")
        {
            var values = new float[flat.Count];
            for (int i = 0; i < values.Length; i++)
                values[i] = flat[i] is JsonValue v && v.TryGetValue<double>(out var d) ? (float)d : throw Bad($"Input '{name}' element {i} is not a number.");
            return new InferInput(name, datatype, shape, values, null);
        }
        var elements = new byte[flat.Count][];
        for (int i = 0; i < elements.Length; i++)
        {
            string text = flat[i] is JsonValue v && v.TryGetValue<string>(out var t) ? t : throw Bad($"Input '{name}' element {i} is not a string (BYTES are base64 strings in JSON).");
            try
            {
                elements[i] = Convert.FromBase64String(text);
            }
            catch (FormatException)
            {
                throw Bad($"Input '{name}' element {i} is not valid base64.");
            }
        }
        return new InferInput(name, datatype, shape, null, elements);
    }

    private static void Flatten(JsonArray array, List<JsonNode?> into)
    {
        foreach (var item in array)
        {
            if (item is JsonArray nested)
                Flatten(nested, into);
            else
                into.Add(item);
        }
    }

    /// <summary>The answer: JSON alone, or JSON followed by the outputs asked for as binary (then
    /// <paramref name="headerLength"/> is the JSON's length, for the Inference-Header-Content-Length header).</summary>
    public static byte[] Write(string modelName, string modelVersion, string? id, IReadOnlyList<InferOutput> outputs, out int? headerLength)
    {
        var binary = new MemoryStream();
        var list = new JsonArray();
        foreach (var o in outputs)
        {
            var item = new JsonObject { ["name"] = o.Name, ["datatype"] = o.Datatype, ["shape"] = new JsonArray(o.Shape.Select(d => (JsonNode)d).ToArray()) };
            if (o.Binary)
            {
                long before = binary.Length;
                binary.Write(TensorBytes.Write(o));
                item["parameters"] = new JsonObject { ["binary_data_size"] = binary.Length - before };
            }
            else
            {
                item["data"] = o.Bools is { } bools ? new JsonArray(bools.Select(b => (JsonNode)JsonValue.Create(b)).ToArray())
                    : o.Fp32 is { } floats ? new JsonArray(floats.Select(f => (JsonNode)JsonValue.Create(f)).ToArray())
                    : new JsonArray(o.Strings!.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray());
            }
            list.Add(item);
        }
        var answer = new JsonObject { ["model_name"] = modelName, ["model_version"] = modelVersion };
        if (id is not null)
            answer["id"] = id;
        answer["outputs"] = list;
        var json = Encoding.UTF8.GetBytes(answer.ToJsonString());
        if (binary.Length == 0)
        {
            headerLength = null;
            return json;
        }
        headerLength = json.Length;
        return [.. json, .. binary.ToArray()];
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool Bool(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static int Int(JsonNode? node, string what)
    {
        if (node is null)
            return 0;
        if (node is JsonValue v && v.TryGetValue<long>(out var x) && x is >= 0 and <= int.MaxValue)
            return (int)x;
        throw Bad($"The {what} must be a non-negative integer (got {node.ToJsonString()}).");
    }

    private static InferenceProtocolException Bad(string message) => new(400, message);
}
