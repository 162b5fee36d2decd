/*
 * pretok_rules.c — which regexes split the text for each tokenizer.ggml.pre
 * value: a transcription of llama.cpp's llama-vocab.cpp (the name -> type
 * chain in llama_vocab::impl::load and the regex_exprs switch of
 * llm_tokenizer_bpe, llama-cpp-python 0.3.36's vendored copy). The strings
 * are verbatim: pretok_fast_for() recognizes llama.cpp's hand-written
 * splitters by comparing them exactly, and pretokenize.c rewrites the rest
 * the way llama.cpp does before matching.
 *
 * Regenerate or check against a newer llama.cpp by extracting the same two
 * places; tests/test_pretokenize.c compiles every set.
 */
#include <stddef.h>
#include <string.h>

#include "tokenizer/pretok_internal.h"

typedef pretok_rules rule_set;

typedef struct pre_name {
    const char *name;
    int set;
} pre_name;

/* Rule sets, one per case of the LLAMA_VOCAB_PRE_TYPE_* switch in
 * llama-vocab.cpp (llm_tokenizer_bpe), regex strings copied verbatim. */
enum {
    SET_LLAMA3,
    SET_JAIS2,
    SET_DBRX,
    SET_DEEPSEEK_LLM,
    SET_DEEPSEEK3_LLM,
    SET_SPARK2_5,
    SET_YOUTU,
    SET_DEEPSEEK_CODER,
    SET_FALCON,
    SET_STARCODER,
    SET_GPT2,
    SET_STABLELM2,
    SET_QWEN35,
    SET_PORO,
    SET_CHATGLM4,
    SET_VIKING,
    SET_TEKKEN,
    SET_CHAMELEON,
    SET_GPT4O,
    SET_GRANITE_EMB_MULTI,
    SET_TINY_AYA,
    SET_KIMI_K2,
    SET_SUPERBPE,
    SET_BAILINGMOE,
    SET_SEED_CODER,
    SET_UFAKZEKA,
    SET_GROK_2,
    SET_AFMOE,
    SET_LAGUNA,
    SET_EXAONE_MOE,
    SET_GEMMA4,
    SET_SARVAM_MOE,
    SET_MINICPM5,
    SET_WHITESPACE,
    SET_DEFAULT,
    N_SETS
};

/* llama3 */
static const char *const RX_LLAMA3[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* jais2 */
static const char *const RX_JAIS2[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}",
    NULL,
};
/* dbrx, smaug */
static const char *const RX_DBRX[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* deepseek_llm */
static const char *const RX_DEEPSEEK_LLM[] = {
    "[\r\n]",
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
    "\\s+$",
    "[一-龥ࠀ-一가-퟿]+",
    "\\p{N}+",
    NULL,
};
/* deepseek3_llm, hunyuan_dense, joyai_llm, hy_v4 */
static const char *const RX_DEEPSEEK3_LLM[] = {
    "\\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* spark2_5 */
static const char *const RX_SPARK2_5[] = {
    "\\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]|\\s+(?!\\S)|\\s+",
    "\\p{N}",
    NULL,
};
/* youtu */
static const char *const RX_YOUTU[] = {
    "[가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+",
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* deepseek_coder */
static const char *const RX_DEEPSEEK_CODER[] = {
    "[\r\n]",
    "\\s?\\p{L}+",
    "\\s?\\p{P}+",
    "[一-龥ࠀ-一가-퟿]+",
    "\\p{N}",
    NULL,
};
/* falcon */
static const char *const RX_FALCON[] = {
    "[\\p{P}\\$\\+<=>\\^~\\|`]+",
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
    "[0-9][0-9][0-9]",
    NULL,
};
/* starcoder, refact, command_r, smollm, codeshell, exaone, minerva, mellum2 */
static const char *const RX_STARCODER[] = {
    "\\p{N}",
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
    NULL,
};
/* gpt2, mpt, olmo, jais, trillion, granite_docling */
static const char *const RX_GPT2[] = {
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
    NULL,
};
/* stablelm2, qwen2, hunyuan, solar_open */
static const char *const RX_STABLELM2[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* qwen35 */
static const char *const RX_QWEN35[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* poro, bloom, gpt3_finnish */
static const char *const RX_PORO[] = {
    " ?[^(\\s|.,!?…。，、।۔،)]+",
    NULL,
};
/* chatglm4 */
static const char *const RX_CHATGLM4[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* viking */
static const char *const RX_VIKING[] = {
    " ?[^(\\s|.,!?…。，、।۔،)]+",
    "\\p{N}",
    NULL,
};
/* tekken */
static const char *const RX_TEKKEN[] = {
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* chameleon */
static const char *const RX_CHAMELEON[] = {
    "<sentinel:[0-9]+>",
    "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
    "([\\t\\n]|    |  )",
    "\\p{N}",
    "[\\p{P}!-/:-@\\[-`{-~]",
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
    NULL,
};
/* gpt4o, minimax_m2 */
static const char *const RX_GPT4O[] = {
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* granite_emb_multi */
static const char *const RX_GRANITE_EMB_MULTI[] = {
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))*((?=[\\p{L}\\p{M}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))+((?=[\\p{L}\\p{M}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* tiny_aya */
static const char *const RX_TINY_AYA[] = {
    "\\d{1,3}(?=(?:\\d{3})*\\b)",
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* kimi_k2 */
static const char *const RX_KIMI_K2[] = {
    "\\p{Han}+",
    NULL,
};
/* superbpe */
static const char *const RX_SUPERBPE[] = {
    "\\p{N}+",
    "(?=(\\d{3})+(?!\\d))",
    NULL,
};
/* bailingmoe */
static const char *const RX_BAILINGMOE[] = {
    "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
    NULL,
};
/* seed_coder */
static const char *const RX_SEED_CODER[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* ufakzeka */
static const char *const RX_UFAKZEKA[] = {
    "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* grok_2 */
static const char *const RX_GROK_2[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* afmoe */
static const char *const RX_AFMOE[] = {
    "\\p{AFMoE_digits}",
    "[一-鿿㐀-䶿豈-﫿぀-ゟ゠-ヿ･-ﾟ⼀-⿟เ-๿຀-໿ក-៿က-႟ꩠ-ꩿꧠ-꧿가-힯ᄀ-ᇿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* laguna */
static const char *const RX_LAGUNA[] = {
    "[^\\n]+|[\\n]+",
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* exaone_moe */
static const char *const RX_EXAONE_MOE[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
    NULL,
};
/* gemma4 */
static const char *const RX_GEMMA4[] = {
    "[^\\n]+|[\\n]+",
    NULL,
};
/* sarvam_moe */
static const char *const RX_SARVAM_MOE[] = {
    "[^\\n]+|[\\n]+",
    NULL,
};
/* minicpm5 */
static const char *const RX_MINICPM5[] = {
    "\\p{N}{1,3}",
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL,
};
/* whitespace */
static const char *const RX_WHITESPACE[] = {
    "\\S+",
    NULL,
};
/* default (the switch's default: any other type) */
static const char *const RX_DEFAULT[] = {
    "[\\p{P}\\$\\+<=>\\^~\\|]+",
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
    "\\p{N}+",
    "[0-9][0-9][0-9]",
    NULL,
};

static const rule_set k_sets[N_SETS] = {
    [SET_LLAMA3] = {RX_LLAMA3, true},
    [SET_JAIS2] = {RX_JAIS2, true},
    [SET_DBRX] = {RX_DBRX, true},
    [SET_DEEPSEEK_LLM] = {RX_DEEPSEEK_LLM, true},
    [SET_DEEPSEEK3_LLM] = {RX_DEEPSEEK3_LLM, true},
    [SET_SPARK2_5] = {RX_SPARK2_5, true},
    [SET_YOUTU] = {RX_YOUTU, true},
    [SET_DEEPSEEK_CODER] = {RX_DEEPSEEK_CODER, true},
    [SET_FALCON] = {RX_FALCON, true},
    [SET_STARCODER] = {RX_STARCODER, true},
    [SET_GPT2] = {RX_GPT2, true},
    [SET_STABLELM2] = {RX_STABLELM2, true},
    [SET_QWEN35] = {RX_QWEN35, true},
    [SET_PORO] = {RX_PORO, true},
    [SET_CHATGLM4] = {RX_CHATGLM4, true},
    [SET_VIKING] = {RX_VIKING, true},
    [SET_TEKKEN] = {RX_TEKKEN, true},
    [SET_CHAMELEON] = {RX_CHAMELEON, true},
    [SET_GPT4O] = {RX_GPT4O, true},
    [SET_GRANITE_EMB_MULTI] = {RX_GRANITE_EMB_MULTI, true},
    [SET_TINY_AYA] = {RX_TINY_AYA, true},
    [SET_KIMI_K2] = {RX_KIMI_K2, true},
    [SET_SUPERBPE] = {RX_SUPERBPE, true},
    [SET_BAILINGMOE] = {RX_BAILINGMOE, true},
    [SET_SEED_CODER] = {RX_SEED_CODER, true},
    [SET_UFAKZEKA] = {RX_UFAKZEKA, true},
    [SET_GROK_2] = {RX_GROK_2, true},
    [SET_AFMOE] = {RX_AFMOE, true},
    [SET_LAGUNA] = {RX_LAGUNA, true},
    [SET_EXAONE_MOE] = {RX_EXAONE_MOE, true},
    [SET_GEMMA4] = {RX_GEMMA4, false},
    [SET_SARVAM_MOE] = {RX_SARVAM_MOE, false},
    [SET_MINICPM5] = {RX_MINICPM5, true},
    [SET_WHITESPACE] = {RX_WHITESPACE, false},
    [SET_DEFAULT] = {RX_DEFAULT, true},
};

/* tokenizer.ggml.pre values, in the order llama_vocab::impl::load tests them. */
static const pre_name k_names[] = {
    {"default", SET_DEFAULT},
    {"minicpm5", SET_MINICPM5},
    {"llama3", SET_LLAMA3},
    {"llama-v3", SET_LLAMA3},
    {"llama-bpe", SET_LLAMA3},
    {"falcon3", SET_LLAMA3},
    {"falcon-h1", SET_LLAMA3},
    {"pixtral", SET_LLAMA3},
    {"midm-2.0", SET_LLAMA3},
    {"lfm2", SET_LLAMA3},
    {"jina-v5-nano", SET_LLAMA3},
    {"deepseek-llm", SET_DEEPSEEK_LLM},
    {"deepseek-coder", SET_DEEPSEEK_CODER},
    {"deepseek-v3", SET_DEEPSEEK3_LLM},
    {"spark2_5", SET_SPARK2_5},
    {"youtu", SET_YOUTU},
    {"falcon", SET_FALCON},
    {"mpt", SET_GPT2},
    {"starcoder", SET_STARCODER},
    {"gpt-2", SET_GPT2},
    {"phi-2", SET_GPT2},
    {"jina-es", SET_GPT2},
    {"jina-de", SET_GPT2},
    {"gigachat", SET_GPT2},
    {"jina-v2-es", SET_GPT2},
    {"jina-v2-de", SET_GPT2},
    {"a.x-4.0", SET_GPT2},
    {"mellum", SET_GPT2},
    {"modern-bert", SET_GPT2},
    {"jais-2", SET_JAIS2},
    {"gemma4", SET_GEMMA4},
    {"granite-embed-multi-311m", SET_GEMMA4},
    {"sarvam-moe", SET_SARVAM_MOE},
    {"jina-v1-en", SET_GPT2},
    {"jina-v2-code", SET_GPT2},
    {"roberta-bpe", SET_GPT2},
    {"whitespace", SET_WHITESPACE},
    {"refact", SET_STARCODER},
    {"command-r", SET_STARCODER},
    {"qwen2", SET_STABLELM2},
    {"deepseek-r1-qwen", SET_STABLELM2},
    {"kormo", SET_STABLELM2},
    {"f2llmv2", SET_STABLELM2},
    {"qwen35", SET_QWEN35},
    {"stablelm2", SET_STABLELM2},
    {"olmo", SET_GPT2},
    {"dbrx", SET_DBRX},
    {"smaug-bpe", SET_DBRX},
    {"poro-chat", SET_PORO},
    {"chatglm-bpe", SET_CHATGLM4},
    {"glm4", SET_CHATGLM4},
    {"glm5", SET_CHATGLM4},
    {"viking", SET_VIKING},
    {"jais", SET_GPT2},
    {"tekken", SET_TEKKEN},
    {"smollm", SET_STARCODER},
    {"codeshell", SET_STARCODER},
    {"bloom", SET_PORO},
    {"gpt3-finnish", SET_PORO},
    {"exaone", SET_STARCODER},
    {"exaone4", SET_GPT2},
    {"exaone-moe", SET_EXAONE_MOE},
    {"chameleon", SET_CHAMELEON},
    {"minerva-7b", SET_STARCODER},
    {"megrez", SET_STABLELM2},
    {"gpt-4o", SET_GPT4O},
    {"llama4", SET_GPT4O},
    {"kanana2", SET_GPT4O},
    {"talkie", SET_GPT4O},
    {"granite-embed-multi-97m", SET_GRANITE_EMB_MULTI},
    {"tiny_aya", SET_TINY_AYA},
    {"cohere2moe", SET_TINY_AYA},
    {"superbpe", SET_SUPERBPE},
    {"trillion", SET_GPT2},
    {"granite-docling", SET_GPT2},
    {"bailingmoe", SET_BAILINGMOE},
    {"bailingmoe2", SET_BAILINGMOE},
    {"llada-moe", SET_BAILINGMOE},
    {"seed-coder", SET_SEED_CODER},
    {"hunyuan", SET_STABLELM2},
    {"hunyuan-dense", SET_DEEPSEEK3_LLM},
    {"hy_v4", SET_DEEPSEEK3_LLM},
    {"joyai-llm", SET_DEEPSEEK3_LLM},
    {"kimi-k2", SET_KIMI_K2},
    {"ufakzeka", SET_UFAKZEKA},
    {"grok-2", SET_GROK_2},
    {"afmoe", SET_AFMOE},
    {"laguna", SET_LAGUNA},
    {"minimax-m2", SET_GPT4O},
    {"solar-open", SET_STABLELM2},
    {"mellum2", SET_STARCODER},
};

const pretok_rules *pretok_rules_find(const char *pre_name) {
    if (!pre_name) pre_name = "default"; /* llama.cpp: missing key -> default, with a warning */
    for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++)
        if (strcmp(k_names[i].name, pre_name) == 0) return &k_sets[k_names[i].set];
    return NULL;
}

const char *pretok_rules_name(size_t i) { return i < sizeof k_names / sizeof k_names[0] ? k_names[i].name : NULL; }
