// count.cjs — counts the tokens of what bench-ai-cost.sh captured, with a
// real tokenizer (js-tiktoken, o200k_base: the GPT-4o and GPT-4.1 models'
// encoding), and prices them with data/prices.json.
// usage: node count.cjs TIKTOKEN_DIR PRICES.json RUNS.tsv CAPTURE_DIR
// RUNS.tsv: run, label, video seconds, costs.json path (tab separated).
const fs = require("fs");
const path = require("path");
const [tiktokenDir, pricesPath, runsPath, captureDir] = process.argv.slice(2);
const { getEncoding } = require(path.join(tiktokenDir, "node_modules", "js-tiktoken"));
const enc = getEncoding("o200k_base");
const prices = JSON.parse(fs.readFileSync(pricesPath, "utf8"));
const tokens = (text) => enc.encode(text).length;

// OpenAI's published way of counting a chat request's messages: each
// message costs its content and role plus 3 tokens, and the reply is
// primed with 3 more.  The structured-output schema is counted as its
// JSON text (OpenAI bills it as prompt tokens but does not document the
// exact rendering: this is the reading used here).
function promptTokens(body) {
  let n = 3;
  for (const m of body.messages) n += 3 + tokens(m.role) + tokens(m.content);
  const schema = body.response_format ? tokens(JSON.stringify(body.response_format.json_schema)) : 0;
  return { messages: n, schema };
}

const chatModels = ["gpt-4.1-nano", "gpt-4o-mini", "gpt-4.1-mini", "gpt-4o"];
const audioModels = ["gpt-4o-mini-transcribe", "whisper-1"];
const rows = [];
for (const line of fs.readFileSync(runsPath, "utf8").split("\n").filter(Boolean)) {
  const [run, label, seconds, costsPath] = line.split("\t");
  const dir = path.join(captureDir, run);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith("request-")).sort() : [];
  let messages = 0, schema = 0, completion = 0, bytes = 0, words = 0;
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), "utf8");
    const body = JSON.parse(text);
    const p = promptTokens(body);
    // the transcript's words: the sentence lines of the user message
    for (const l of body.messages[body.messages.length - 1].content.split("\n")) {
      const m = l.match(/^\[\d+\] [\d.]+-[\d.]+ s: (.*)$/) || l.match(/^\d+\|[\d.]+\|[\d.]+\|(.*)$/);
      if (m) words += m[1].split(/\s+/).filter(Boolean).length;
    }
    bytes += Buffer.byteLength(text);
    messages += p.messages;
    schema += p.schema;
    completion += tokens(fs.readFileSync(path.join(dir, f.replace("request-", "answer-")), "utf8"));
  }
  let audio = 0;
  if (fs.existsSync(costsPath))
    for (const c of JSON.parse(fs.readFileSync(costsPath, "utf8")).calls)
      if (c.kind === "transcription") audio += c.audio_seconds;
  const minutes = Number(seconds) / 60;
  rows.push({ label, requests: files.length, bytes, messages, schema, completion, audio, minutes, words });
}

const fmt = (x, d) => x.toFixed(d);
const usd = (model, prompt, completion) => {
  const p = prices.models[model];
  return (prompt * p.input_per_mtok + completion * p.output_per_mtok) / 1e6;
};
console.log(`Tokens counted with js-tiktoken o200k_base; prices from data/prices.json (as of ${prices.as_of}).`);
console.log("Per minute of video:");
console.log("");
console.log("| run | requests | words/min | prompt tokens/min (messages + schema) | completion tokens/min | " +
            chatModels.map((m) => `${m} $/min`).join(" | ") + " | speech sent min/min | " +
            audioModels.map((m) => `${m} $/min`).join(" | ") + " |");
console.log("|---|---|---|---|---|" + chatModels.map(() => "---|").join("") + "---|" + audioModels.map(() => "---|").join(""));
for (const r of rows) {
  const prompt = (r.messages + r.schema) / r.minutes, completion = r.completion / r.minutes;
  const audioMin = r.audio / 60 / r.minutes;
  console.log(`| ${r.label} | ${r.requests} | ${fmt(r.words / r.minutes, 0)} | ${fmt(prompt, 0)} (${fmt(r.messages / r.minutes, 0)} + ${fmt(r.schema / r.minutes, 0)}) | ` +
              `${fmt(completion, 0)} | ` + chatModels.map((m) => fmt(usd(m, prompt, completion), 5)).join(" | ") +
              ` | ${fmt(audioMin, 3)} | ` +
              audioModels.map((m) => fmt(audioMin * prices.models[m].audio_per_minute, 5)).join(" | ") + " |");
}

// What every request carries whatever the video: the instruction and the
// schema (a longer video adds a request per 40 sentences, without
// --batch-api-calls).
for (const line of fs.readFileSync(runsPath, "utf8").split("\n").filter(Boolean)) {
  const [run, label] = line.split("\t");
  const first = path.join(captureDir, run, "request-000.json");
  if (!fs.existsSync(first)) continue;
  const body = JSON.parse(fs.readFileSync(first, "utf8"));
  console.log(`${label}: each request carries ${tokens(body.messages[0].content)} tokens of instruction ` +
              `and ${tokens(JSON.stringify(body.response_format.json_schema))} of schema.`);
}
