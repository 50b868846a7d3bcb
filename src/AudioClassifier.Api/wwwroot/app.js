"use strict";
// The demo page: pick, drop or record a clip, classify it, and show the bars, spectrogram and timeline.
(() => {
  const $ = (id) => document.getElementById(id);
  const fileInput = $("file-input"), dropZone = $("drop-zone"), player = $("player"), classifyButton = $("classify");
  const recordButton = $("record"), recordStatus = $("record-status"), apiKey = $("api-key"), topK = $("top-k");
  let clip = null; // { blob, name }
  let labels = []; // the served model's labels, in output order: each gets its own colour
  let running = null; // the AbortController of the classification in flight

  apiKey.value = sessionStorage.getItem("audioclf-api-key") || "";

  // Offer only as many labels as the served model has.
  (async () => {
    try {
      const ready = await (await fetch("/healthz/ready")).json();
      if (!ready.model) { showError("The model is not ready yet: " + (ready.reason || "loading")); return; }
      const meta = await (await fetch("/v2/models/" + encodeURIComponent(ready.model))).json();
      labels = meta.labels;
      const n = meta.labels.length;
      const choices = [...new Set([1, 3, 5, 10, n].filter((k) => k <= n))].sort((a, b) => a - b);
      topK.replaceChildren(...choices.map((k) => { const o = document.createElement("option"); o.textContent = String(k); return o; }));
      topK.value = String(Math.min(5, n));
    } catch { /* the page still works with the defaults */ }
  })();
  apiKey.addEventListener("change", () => sessionStorage.setItem("audioclf-api-key", apiKey.value));

  // Example clips (Service:ExampleClips), classified with one click, with the credit their licence asks for.
  (async () => {
    try {
      const examples = await (await fetch("/examples")).json();
      if (!examples.clips.length) return;
      $("example-buttons").replaceChildren(...examples.clips.map((c) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "example";
        b.textContent = c.name;
        b.addEventListener("click", async () => {
          try {
            const response = await fetch(c.url);
            if (!response.ok) throw new Error("the example could not be fetched (HTTP " + response.status + ")");
            select(await response.blob(), c.name);
            classifyButton.click();
          } catch (err) { showError(err.message); }
        });
        return b;
      }));
      $("examples-credit").textContent = examples.attribution || "";
      $("examples-credit").hidden = !examples.attribution;
      $("examples").hidden = false;
    } catch { /* no examples: the page works without them */ }
  })();

  function select(blob, name, recorded = false) {
    // A new clip cancels the classification of the previous one: its answer must never appear under this clip.
    if (running) { running.abort(); running = null; $("progress-row").hidden = true; }
    clip = { blob, name };
    if (!recorded) recordStatus.textContent = "";
    player.src = URL.createObjectURL(blob);
    player.hidden = false;
    classifyButton.disabled = false;
    showError("");
    clearResult();
  }

  fileInput.addEventListener("change", () => { if (fileInput.files.length) select(fileInput.files[0], fileInput.files[0].name); });
  dropZone.addEventListener("dragover", (e) => { e.preventDefault(); dropZone.classList.add("over"); });
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("over"));
  dropZone.addEventListener("drop", (e) => {
    e.preventDefault();
    dropZone.classList.remove("over");
    if (e.dataTransfer.files.length) select(e.dataTransfer.files[0], e.dataTransfer.files[0].name);
  });
  dropZone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); fileInput.click(); } });

  // Microphone recording: raw PCM from an AudioWorklet (recorder-worklet.js), mixed down to mono, encoded to 16-bit WAV
  // in the browser. It stops by itself after the record button's data-max-seconds (600 as served, the service's default
  // Classifier:MaxAudioSeconds), counted at 48 kHz at most: a faster microphone stops sooner, so that a recording left
  // running neither grows without end nor outgrows the service's default body limit (16-bit mono at 48 kHz for 600 s).
  // A service configured with lower limits refuses a longer recording with its own message.
  const maxRecordSeconds = () => Number(recordButton.dataset.maxSeconds) || 600;
  let recording = null;
  recordButton.addEventListener("click", async () => {
    if (recording) { if (!recording.stopping) stopRecording(); return; }
    recordButton.disabled = true;
    let stream = null, context = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      context = new AudioContext();
      await context.audioWorklet.addModule("recorder-worklet.js");
      await context.resume(); // some browsers create it suspended after an await
      const source = context.createMediaStreamSource(stream);
      // Mono in (the browser mixes a stereo microphone down), one silent output connected to the destination so that
      // every browser runs the node.
      const node = new AudioWorkletNode(context, "pcm-recorder", {
        numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1],
        channelCount: 1, channelCountMode: "explicit", channelInterpretation: "speakers",
        processorOptions: { maxSamples: Math.round(maxRecordSeconds() * Math.min(context.sampleRate, 48000)) },
      });
      const current = recording = { stream, context, source, node, chunks: [], samples: 0, stopping: false, done: false };
      node.port.onmessage = (e) => {
        if (e.data === "stopped") { finishRecording(current); return; }
        if (e.data === "full") { if (!current.stopping) stopRecording(current); return; }
        current.chunks.push(e.data);
        current.samples += e.data.length;
        const seconds = current.samples / context.sampleRate;
        recordStatus.textContent = "Recording… " + Math.floor(seconds) + " s (stops by itself at " + maxRecordSeconds() + " s)";
      };
      node.onprocessorerror = () => finishRecording(current);
      // The microphone unplugged or its permission withdrawn: keep what was recorded.
      stream.getTracks().forEach((t) => t.addEventListener("ended", () => { if (!current.stopping) stopRecording(current); }));
      source.connect(node);
      node.connect(context.destination);
      recordButton.setAttribute("aria-pressed", "true");
      recordButton.textContent = "Stop recording";
      recordStatus.textContent = "Recording…";
    } catch (err) {
      recording = null;
      if (stream) stream.getTracks().forEach((t) => t.stop());
      if (context) context.close();
      showError("Microphone not available: " + err.message);
    } finally {
      recordButton.disabled = false;
    }
  });

  function stopRecording(current = recording) {
    current.stopping = true;
    current.node.port.postMessage("stop"); // the worklet answers with its last samples, then "stopped"
    // Should the answer never come (a suspended or failed audio thread), finish with the samples already received.
    setTimeout(() => finishRecording(current), 2000);
  }

  function finishRecording(current) {
    if (current.done) return;
    current.done = true;
    const { stream, context, source, node, chunks, samples } = current;
    stream.getTracks().forEach((t) => t.stop());
    source.disconnect();
    node.disconnect();
    node.port.onmessage = null;
    const wav = encodeWav(chunks, context.sampleRate);
    context.close();
    if (recording === current) recording = null;
    recordButton.setAttribute("aria-pressed", "false");
    recordButton.textContent = "Record from microphone";
    recordStatus.textContent = "Recorded " + (samples / context.sampleRate).toFixed(1) + " s";
    select(wav, "recording.wav", true);
  }

  function encodeWav(chunks, rate) {
    const length = chunks.reduce((n, c) => n + c.length, 0);
    const buffer = new ArrayBuffer(44 + length * 2);
    const view = new DataView(buffer);
    const text = (offset, s) => { for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); };
    text(0, "RIFF"); view.setUint32(4, 36 + length * 2, true); text(8, "WAVEfmt ");
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
    text(36, "data"); view.setUint32(40, length * 2, true);
    let offset = 44;
    for (const chunk of chunks) for (const s of chunk) { view.setInt16(offset, Math.max(-1, Math.min(1, s)) * 0x7fff, true); offset += 2; }
    return new Blob([buffer], { type: "audio/wav" });
  }

  // One upload per classification: the answer carries the spectrogram (spectrogram=true).
  classifyButton.addEventListener("click", async () => {
    if (!clip) return;
    if (running) running.abort();
    const request = running = new AbortController();
    classifyButton.disabled = true;
    clearResult();
    showError("");
    $("progress-row").hidden = false;
    try {
      const result = await post("/classify?windows=true&spectrogram=true&top_k=" + topK.value, request.signal);
      if (request !== running) return; // superseded by another clip or request
      renderResult(result);
      if (result.spectrogram) {
        $("spectrogram").src = result.spectrogram;
        $("spectrogram-caption").textContent = result.silent
          ? "The clip's log-mel spectrogram (first window); silence, so the model was not run."
          : "The log-mel spectrogram the model saw (first window).";
        $("spectrogram-figure").hidden = false;
      }
    } catch (err) {
      if (request === running) showError(err.message);
    } finally {
      if (request === running) {
        running = null;
        $("progress-row").hidden = true;
        classifyButton.disabled = false;
        // The button was disabled while it had focus: give focus back rather than leave it on the page's body.
        if (document.activeElement === document.body) classifyButton.focus();
      }
    }
  });

  function clearResult() {
    $("top-label").textContent = "";
    $("top-label").className = "top-label";
    $("bars").replaceChildren();
    $("meta").textContent = "";
    $("spectrogram-figure").hidden = true;
    $("events-section").hidden = true;
    $("timeline-section").hidden = true;
  }

  // A colour per label: the model's labels spread round the hue circle by the golden angle (neighbours far apart);
  // a label the page does not know (metadata not loaded) hashed instead.
  function colour(label) {
    let i = labels.indexOf(label);
    if (i < 0) { i = 0; for (const ch of label) i = (i * 31 + ch.charCodeAt(0)) % 997; }
    return "hsl(" + ((i * 137.508) % 360).toFixed(0) + ", 62%, " + (i % 2 ? 36 : 46) + "%)";
  }

  // Playing one segment: stop at its end.
  let stopAt = null;
  player.addEventListener("timeupdate", () => {
    const total = player.duration || 1;
    $("cursor").style.left = (100 * player.currentTime / total).toFixed(2) + "%";
    if (stopAt !== null && player.currentTime >= stopAt) { player.pause(); stopAt = null; }
  });

  function renderEvents(r) {
    const strip = $("events"), list = $("event-list"), total = r.duration_seconds || 1;
    strip.querySelectorAll(".segment").forEach((el) => el.remove());
    list.replaceChildren();
    for (const e of r.events || []) {
      const seg = document.createElement("button");
      seg.type = "button";
      seg.className = "segment" + (e.recognised === false ? " unrecognised" : "");
      seg.style.left = (100 * e.start_seconds / total) + "%";
      seg.style.width = (100 * (e.end_seconds - e.start_seconds) / total) + "%";
      seg.style.backgroundColor = colour(e.label); // the colour only: .unrecognised adds its stripes as an image
      // A name that cannot fit is left out of the segment (its title, label and the list below still say it).
      if (e.end_seconds - e.start_seconds >= total / 12) seg.textContent = e.label;
      const what = e.label + (e.recognised === false ? " (not recognised)" : "") + ", " + e.start_seconds.toFixed(1) + "-" + e.end_seconds.toFixed(1) + " s";
      seg.title = what;
      seg.setAttribute("aria-label", "Play " + what);
      seg.addEventListener("click", () => { player.currentTime = e.start_seconds; stopAt = e.end_seconds; player.play(); });
      strip.append(seg);
      const li = document.createElement("li");
      li.textContent = what + " · " + (e.score * 100).toFixed(1) + " %";
      list.append(li);
    }
    const count = (r.events || []).length;
    $("events-section").hidden = count === 0;
    // A long clip's list of events is folded away: the strip shows them, the list is there when asked for.
    $("event-details").open = count <= 12;
    $("event-summary").textContent = count + (count === 1 ? " event" : " events");
  }

  // The page's own limit on one classification, upload included (the classify button's data-timeout-seconds, 300 s as
  // served): the service's budgets answer long before it, unless the network leaves a request hanging or an upload
  // crawls.
  const classifyTimeoutSeconds = () => Number(classifyButton.dataset.timeoutSeconds) || 300;

  // Posts the clip and returns the answer's JSON; every failure, a timeout included, as an Error with words for people.
  async function post(url, signal) {
    const body = new FormData();
    body.append("file", clip.blob, clip.name);
    const headers = apiKey.value ? { "X-Api-Key": apiKey.value } : {};
    const limit = classifyTimeoutSeconds();
    // One signal for both reasons to stop (a newer request, the time limit), without AbortSignal.any (Safari < 17.4).
    const both = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; both.abort(); }, limit * 1000);
    const superseded = () => both.abort();
    signal.addEventListener("abort", superseded);
    const tooSlow = () => new Error("The service did not answer within " + limit + " s. Try again, or try a shorter clip.");
    try {
      let response;
      try {
        response = await fetch(url, { method: "POST", body, headers, signal: both.signal });
      } catch (err) {
        if (timedOut) throw tooSlow();
        if (err.name === "AbortError") throw err;
        // fetch says only "Failed to fetch" (Chromium) or "NetworkError…" (Firefox) when the connection is lost.
        throw new Error("Lost the connection to the service (it may have stopped or restarted, or the network dropped). Try again.");
      }
      if (response.status === 401)
        throw new Error(apiKey.value
          ? "401 The service refused this API key: check the key in the API key field above."
          : "401 This service needs an API key: enter it in the API key field above and classify again.");
      if (!response.ok) {
        let detail = response.statusText;
        try { const problem = await response.json(); detail = (problem.title ? problem.title + ": " : "") + (problem.detail || ""); } catch { /* not JSON */ }
        throw new Error(response.status + " " + detail);
      }
      try {
        return await response.json();
      } catch (err) {
        if (timedOut) throw tooSlow(); // the limit also covers reading the answer
        throw err;
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", superseded);
    }
  }

  function renderResult(r) {
    const top = $("top-label");
    if (r.silent) {
      top.textContent = "Silence: nothing to classify";
      top.className = "top-label silent";
    } else if (r.recognised === false) {
      // Say why: the score the decision was made on against its threshold.
      const why = r.recognition_score_type !== "training_similarity"
        ? "score " + r.recognition_score.toFixed(3) + " < " + r.threshold.toFixed(3)
        : r.recognition_score <= -0.999
          ? "closer to a known non-target sound (noise, tone, speech) than to its training sounds"
          : "similarity to its training sounds " + r.recognition_score.toFixed(3) + " < " + r.threshold.toFixed(3);
      top.textContent = "Not recognised (closest: " + r.label + ", " + (r.score * 100).toFixed(1) + " %; " + why + ")";
      top.className = "top-label unrecognised";
    } else if (new Set((r.events || []).filter((e) => e.recognised !== false).map((e) => e.label)).size > 1) {
      // A mixture: the mean over windows names one label for the whole clip, which says little; name the recognised
      // sounds, in order of appearance (the events below say when).
      const labels = [...new Set(r.events.filter((e) => e.recognised !== false).map((e) => e.label))];
      top.textContent = labels.length + " sounds: " + labels.join(", ");
      top.className = "top-label";
    } else {
      top.textContent = r.label + " (" + (r.score * 100).toFixed(1) + " %)";
      top.className = "top-label";
    }
    renderEvents(r);
    const bars = $("bars");
    bars.replaceChildren(...r.top_k.map((s) => {
      const li = document.createElement("li");
      const name = document.createElement("span"); name.textContent = s.label;
      const bar = document.createElement("div"); bar.className = "bar"; bar.style.width = (s.score * 100).toFixed(1) + "%";
      bar.setAttribute("role", "img"); bar.setAttribute("aria-label", s.label + " " + (s.score * 100).toFixed(1) + " percent");
      const value = document.createElement("span"); value.textContent = (s.score * 100).toFixed(1) + " %";
      li.append(name, bar, value);
      return li;
    }));
    $("meta").textContent = r.duration_seconds.toFixed(2) + " s · " + r.model.name + " " + r.model.version + " · " + r.execution_provider;
    const windows = r.windows || [];
    $("timeline-section").hidden = windows.length < 2;
    $("timeline-details").open = windows.length <= 12;
    $("timeline-summary").textContent = windows.length + " windows";
    $("timeline").querySelector("tbody").replaceChildren(...windows.map((w) => {
      const tr = document.createElement("tr");
      const best = w.top_k[0];
      for (const v of [w.start_seconds.toFixed(2), w.end_seconds.toFixed(2), best ? best.label : "(silent)", best ? (best.score * 100).toFixed(1) + " %" : ""]) {
        const td = document.createElement("td"); td.textContent = v; tr.append(td);
      }
      return tr;
    }));
  }

  function showError(message) {
    const el = $("error");
    el.textContent = message;
    el.hidden = !message;
  }
})();
