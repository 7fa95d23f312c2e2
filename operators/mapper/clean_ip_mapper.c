/* clean_ip_mapper: replace IPv4 and IPv6 addresses in the text.
 *
 * Data-Juicer: re.sub(pattern, repl, text, flags=re.DOTALL) with the default pattern (one line)
 *   (?:(?:1[0-9][0-9]\.)|(?:2[0-4][0-9]\.)|(?:25[0-5]\.)|(?:[1-9][0-9]\.)|(?:[0-9]\.)){3}
 *   (?:(?:1[0-9][0-9])|(?:2[0-4][0-9])|(?:25[0-5])|(?:[1-9][0-9])|(?:[0-9]))
 *   |([\da-fA-F]{1,4}:){7}[\da-fA-F]{1,4}
 * There are no word boundaries, so IP-like pieces of longer digit runs are replaced too. A user
 * pattern may be written r'...'. Every default match holds a '.' (IPv4) or a ':' (IPv6), so texts
 * with neither skip the regex.
 *
 * Example (repl "<IP>"): "ftp://example.com/188.46.244.216my-page.html"
 * -> "ftp://example.com/<IP>my-page.html". */
#include "dj/dj.h"
#include "dj/regex_mapper.h"

#define IP_PATTERN \
	"(?:(?:1[0-9][0-9]\\.)|(?:2[0-4][0-9]\\.)|(?:25[0-5]\\.)|(?:[1-9][0-9]\\.)|(?:[0-9]\\.))" \
	"{3}(?:(?:1[0-9][0-9])|(?:2[0-4][0-9])|(?:25[0-5])|(?:[1-9][0-9])|(?:[0-9]))|" \
	"([\\da-fA-F]{1,4}:){7}[\\da-fA-F]{1,4}"

static const dj_param_spec ip_params[] = {
	DJ_PATTERN_REPL_PARAMS("IPv4/IPv6"),
};

/* A match is made of ASCII digits and dots (IPv4: three dots) or of hex digits, Unicode
 * digits (\d, non-ASCII bytes) and colons (IPv6: seven colons), so only runs of
 * [0-9A-Fa-f.:] and non-ASCII bytes with 3 dots or 7 colons are searched. */
static bool ip_wanted(const char *s, size_t len)
{
	size_t dots = 0, colons = 0;

	for (size_t i = 0; i < len; i++) {
		dots += s[i] == '.';
		colons += s[i] == ':';
	}
	return dots >= 3 || colons >= 7;
}

static const dj_regex_windows ip_windows = {
	.run = { ['0' ... '9'] = 1, ['A' ... 'F'] = 1, ['a' ... 'f'] = 1, ['.'] = 1, [':'] = 1,
		[0x80 ... 0xFF] = 1 },
	.wanted = ip_wanted,
};

static int ip_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	return dj_regex_mapper_init_default(state_out, cfg, "clean_ip_mapper", IP_PATTERN, &ip_windows);
}

const dj_op_vtab dj_op_clean_ip_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "clean_ip_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Replace IPv4/IPv6 addresses (regex) with repl",
	.params = ip_params, .n_params = DJ_ARRAY_LEN(ip_params), .cfg_size = sizeof(dj_pattern_repl_cfg),
	.init = ip_init, .process = dj_regex_mapper_op_process, .free = dj_regex_mapper_op_free,
};
