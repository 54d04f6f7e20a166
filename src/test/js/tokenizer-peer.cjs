// The independent peer for jdpo's tokenization and chat-template tests. @lenml/tokenizers (a
// JavaScript port of Hugging Face's tokenizers) reads the model's tokenizer.json and gives the
// token ids; @huggingface/jinja (the Jinja engine of transformers.js) renders the model's
// chat_template from tokenizer_config.json with the variables Hugging Face's
// apply_chat_template passes (the special tokens, add_generation_prompt). @lenml/tokenizers
// bundles an older Jinja that cannot parse Qwen3's or Gemma 3's templates, hence the second package.
//
//   node tokenizer-peer.cjs TOKENIZERS_MAIN_JS JINJA_MAIN_CJS MODELS_DIR REQUEST.json > ANSWER.json
//
// REQUEST: {"strings": [text...], "conversations": [{"messages": [{role, content}...],
//           "addGenerationPrompt": bool}...]}
// ANSWER:  {"ids": [[token ids of each string, no special tokens added]...],
//           "renderings": [template text of each conversation, or {"error": message}...]}
const fs = require("fs");
const path = require("path");
const [tokenizersMain, jinjaMain, modelsDir, requestFile] = process.argv.slice(2);
const { TokenizerLoader } = require(tokenizersMain);
const { Template } = require(jinjaMain);
const config = JSON.parse(fs.readFileSync(path.join(modelsDir, "tokenizer_config.json"), "utf8"));
const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(fs.readFileSync(path.join(modelsDir, "tokenizer.json"), "utf8")),
  tokenizerConfig: config,
});
const request = JSON.parse(fs.readFileSync(requestFile, "utf8"));
const ids = (request.strings || []).map((s) => Array.from(tokenizer.encode(s, { add_special_tokens: false })));

// Special tokens as apply_chat_template passes them: the string, or an AddedToken's content.
const specials = {};
for (const key of ["bos_token", "eos_token", "unk_token", "pad_token"]) {
  const v = config[key];
  if (v !== undefined && v !== null) specials[key] = typeof v === "string" ? v : v.content;
}
const template = new Template(config.chat_template);
const renderings = (request.conversations || []).map((c) => {
  try {
    return template.render({ ...specials, messages: c.messages, add_generation_prompt: c.addGenerationPrompt });
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
});
process.stdout.write(JSON.stringify({ ids, renderings }));
