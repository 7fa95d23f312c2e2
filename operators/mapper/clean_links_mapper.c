/* clean_links_mapper: replace links (URLs, and anything shaped like "scheme:x" or "host.tld/").
 *
 * Data-Juicer: re.sub(pattern, repl, text, flags=re.DOTALL) with the Gruber-style default
 * pattern (case-insensitive through its leading (?i)):
 *   (?i)\b((?:[a-z][\w-]+:(?:\/{1,3}|[a-z0-9%])|www\d{0,3}[.]|[a-z0-9.\-]+[.][a-z]{2,4}\/)
 *   (?:[^\s()<>]+|\(([^\s()<>]+|(\([^\s()<>]+\)))*\))+
 *   (?:\(([^\s()<>]+|(\([^\s()<>]+\)))*\)|[^\s`!()\[\]{};:\'\".,<>?«»“”‘’]))
 * Any `word:` followed by '/' or [a-z0-9%] counts as a scheme and any `host.tld/` as a link, so
 * "note:this is" -> " is", "mailto:abc@x.com ok" -> " ok", "a.b.cd/ef x" -> " x",
 * "http://a.com/b)." -> ").". A user pattern may be written r'...'.
 *
 * LINKS_PATTERN is that pattern with its nested repeats untangled, because PCRE2 has no
 * equivalent of the `regex` module's guards against them: as written, a 45-byte text such as
 * "fe80:0:0:0:0:0:0:1►(eqeqweqwewqeqwe121e1１●" exceeds PCRE2's match limit (exponential
 * backtracking over the ways to split a run into [^\s()<>]+ pieces), and the sample would be
 * dropped where Data-Juicer cleans it. Two rewrites, both matching exactly the same spans with
 * the same groups: (1) in the body, (?:[^\s()<>]+|P)+ becomes (?:[^\s()<>]|P)+ (same strings,
 * a non-capturing group, and the candidate ends are still tried longest first); (2) inside the
 * parenthesised parts, [^\s()<>]+ becomes possessive: what follows it is '(' or ')', which it
 * cannot match, so giving characters back never helps. Checked against Python's `regex` with
 * the original pattern (spans and all groups) on 200,000 random strings and the web, e-mail and
 * code corpora.
 *
 * Every match holds a ':' (scheme) or a '.' (www. or host.tld/), so texts with neither skip
 * the regex.
 *
 * Example: "This is a test,https://www.example.com/file.html?param1=value1" -> "This is a test,". */
#include "dj/dj.h"
#include "dj/regex_mapper.h"

#define LINKS_PATTERN \
	"(?i)\\b(" \
	"(?:[a-z][\\w-]+:(?:\\/{1,3}|" \
	"[a-z0-9%])|www\\d{0,3}[.]|" \
	"[a-z0-9.\\-]+[.][a-z]{2,4}\\/)" \
	"(?:[^\\s()<>]|\\(([^\\s()<>]++|" \
	"(\\([^\\s()<>]+\\)))*\\))" \
	"+(?:\\(([^\\s()<>]++|(\\([^\\s()<>]+\\)))*\\)|" \
	"[^\\s`!()\\[\\]{};:\\'\\\".,<>?«»“”‘’])" \
	")"

static const dj_param_spec links_params[] = {
	DJ_PATTERN_REPL_PARAMS("link"),
};

/* No part of the pattern matches whitespace, so a match lies inside one run of
 * non-whitespace bytes (ASCII whitespace is a subset of \s, so runs cut there are unions of
 * whole tokens); its start is "scheme:", "www" (any case) or "host.tld/", so the run holds
 * a ':' , a '/' or a "www". Only such runs are searched. */
static bool links_wanted(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == ':' || c == '/')
			return true;
		if ((c | 0x20) == 'w' && i + 2 < len && (s[i + 1] | 0x20) == 'w' && (s[i + 2] | 0x20) == 'w')
			return true;
	}
	return false;
}

static const dj_regex_windows links_windows = {
	.run = { [0x00 ... 0x08] = 1, [0x0E ... 0x1F] = 1, [0x21 ... 0xFF] = 1 },
	.wanted = links_wanted,
	.triggers = ":/wW",
};

static int links_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	return dj_regex_mapper_init_default(state_out, cfg, "clean_links_mapper", LINKS_PATTERN,
		&links_windows);
}

const dj_op_vtab dj_op_clean_links_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "clean_links_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Replace links (http/https/ftp URLs and the like, regex) with repl",
	.params = links_params, .n_params = DJ_ARRAY_LEN(links_params), .cfg_size = sizeof(dj_pattern_repl_cfg),
	.init = links_init, .process = dj_regex_mapper_op_process, .free = dj_regex_mapper_op_free,
};
