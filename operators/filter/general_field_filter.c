/* general_field_filter: keep samples for which `filter_condition` holds (spec 4.2).
 * The condition is Data-Juicer's small Python-expression language, parsed once at init
 * into a tree:
 *   cond    := or
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | compare
 *   compare := operand (('<'|'<='|'>'|'>='|'=='|'!=') operand)*   chained as in Python
 *   operand := '(' or ')' | name | ['-'] number | string | True | False | None
 * A name is a dotted path ("num", "meta.lang", "__dj__meta__.a", "__dj__stats__.text_len")
 * read from the sample (a missing key or a missing / non-mapping parent reads as None,
 * like dict.get); `__dj__stats__.X` also sees stats computed earlier in the run.
 * Evaluation follows Python: a comparison with a None operand is False; numbers (bools as
 * 0/1) compare numerically, strings by code point, lists element-wise; == and != across
 * other types are False / True; an ordering between incompatible types is Python's
 * TypeError, which fails the sample (dj_batch_fail: dropped under skip_op_error).
 * `and`/`or`/`not` use Python truthiness. A malformed condition is a config error naming
 * the column. An empty condition keeps every sample.
 * Stat: general_field_filter_condition (bool), reused when the input already has it.
 * reversed_range keeps the samples for which the condition is false.
 * Departures: `and`/`or` yield bools rather than an operand (only truthiness is used);
 * integers beyond 64 bits, unary minus on anything but a number literal, and Python
 * operators other than the six comparisons (is, in, +, ...) are config errors.
 *
 * Example, "(num < 10 or num > 20) and flag == True and text != 'sample3'":
 *   {"text":"sample1","num":5,"flag":true}   -> kept
 *   {"text":"sample2","num":15,"flag":false} -> dropped
 *   {"text":"sample3","num":25,"flag":true}  -> dropped
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

#define GFF_STAT "general_field_filter_condition"
#define GFF_MAX_DEPTH 200

typedef struct gff_cfg {
	dj_filter_common common;
	char *filter_condition;
} gff_cfg;

/* ---- the tree ------------------------------------------------------------------ */

enum { N_OR, N_AND, N_NOT, N_CMP, N_NAME, N_INT, N_REAL, N_STR, N_BOOL, N_NONE };
enum { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE };
static const char *const op_str[] = { "<", "<=", ">", ">=", "==", "!=" };

typedef struct gff_node {
	int kind;
	struct gff_node **kids;  /* OR, AND: operands; NOT: 1; CMP: n operands */
	size_t n;
	int *ops;                /* CMP: n - 1 operators */
	char *path;              /* NAME: dotted path; STR: the bytes */
	size_t len;              /* STR */
	int64_t i;               /* INT, BOOL */
	double d;                /* REAL */
	int stat_col;            /* NAME under __dj__stats__: the stat's column, else -1 */
	const char *stat_rest;   /* ... and the path inside the stat value, or NULL */
	bool is_text;            /* NAME: the text field */
} gff_node;

static void node_free(gff_node *nd)
{
	if (!nd)
		return;
	for (size_t k = 0; k < nd->n; k++)
		node_free(nd->kids[k]);
	free(nd->kids);
	free(nd->ops);
	free(nd->path);
	free(nd);
}

/* ---- the parser -------------------------------------------------------------------- */

enum { T_END, T_NAME, T_INT, T_REAL, T_STR, T_LP, T_RP, T_CMP, T_MINUS, T_BAD };

typedef struct gff_parser {
	const char *src;
	size_t pos;              /* after the current token */
	int tok;
	size_t start, len;       /* current token */
	int cmp;                 /* T_CMP: OP_* */
	int depth;
	gff_node *nomem;         /* sentinel */
} gff_parser;

static bool is_ident0(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_ident(char c) { return is_ident0(c) || is_digit(c); }

static void next(gff_parser *p)
{
	const char *s = p->src;
	size_t i = p->pos;

	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	p->start = i;
	if (!s[i]) {
		p->tok = T_END;
	} else if (is_ident0(s[i])) {
		p->tok = T_NAME;
		for (;;) {
			while (is_ident(s[i]))
				i++;
			if (s[i] == '.' && is_ident0(s[i + 1]))
				i++;
			else
				break;
		}
	} else if (is_digit(s[i]) || (s[i] == '.' && is_digit(s[i + 1]))) {
		p->tok = T_INT;
		while (is_digit(s[i]) || s[i] == '_')
			i++;
		if (s[i] == '.') {
			p->tok = T_REAL;
			i++;
			while (is_digit(s[i]) || s[i] == '_')
				i++;
		}
		if ((s[i] == 'e' || s[i] == 'E') &&
		    (is_digit(s[i + 1]) || ((s[i + 1] == '+' || s[i + 1] == '-') && is_digit(s[i + 2])))) {
			p->tok = T_REAL;
			i += 2;
			while (is_digit(s[i]))
				i++;
		}
		if (is_ident(s[i]) || s[i] == '.')
			p->tok = T_BAD;      /* 1x, 1.2.3 */
	} else if (s[i] == '\'' || s[i] == '"') {
		char q = s[i++];
		p->tok = T_BAD;
		while (s[i] && s[i] != q && s[i] != '\n') {
			if (s[i] == '\\' && s[i + 1])
				i++;
			i++;
		}
		if (s[i] == q) {
			i++;
			p->tok = T_STR;
		}
	} else if (s[i] == '(' || s[i] == ')' || s[i] == '-') {
		p->tok = s[i] == '(' ? T_LP : s[i] == ')' ? T_RP : T_MINUS;
		i++;
	} else if ((s[i] == '<' || s[i] == '>' || s[i] == '=' || s[i] == '!') && s[i + 1] == '=') {
		p->tok = T_CMP;
		p->cmp = s[i] == '<' ? OP_LE : s[i] == '>' ? OP_GE : s[i] == '=' ? OP_EQ : OP_NE;
		i += 2;
	} else if (s[i] == '<' || s[i] == '>') {
		p->tok = T_CMP;
		p->cmp = s[i] == '<' ? OP_LT : OP_GT;
		i++;
	} else {
		p->tok = T_BAD;
		i++;
		while ((s[i] & 0xC0) == 0x80)    /* the whole UTF-8 character */
			i++;
	}
	p->len = i - p->start;
	p->pos = i;
}

static bool tok_is(const gff_parser *p, const char *kw)
{
	return p->tok == T_NAME && p->len == strlen(kw) && memcmp(p->src + p->start, kw, p->len) == 0;
}

static bool is_keyword(const gff_parser *p)
{
	static const char *const kw[] = { "and", "or", "not", "True", "False", "None", "is", "in", "if",
		"else", "lambda", NULL };
	for (const char *const *k = kw; *k; k++)
		if (tok_is(p, *k))
			return true;
	return false;
}

/* Config error at the current token; returns NULL. */
static gff_node *expected(gff_parser *p, const char *what)
{
	if (p->tok == T_END)
		dj_error_set(DJ_EINVAL, "general_field_filter: filter_condition: column %zu: expected %s, "
			"got the end of the condition", p->start + 1, what);
	else
		dj_error_set(DJ_EINVAL, "general_field_filter: filter_condition: column %zu: expected %s, "
			"got '%.*s'", p->start + 1, what, (int)(p->len > 40 ? 40 : p->len), p->src + p->start);
	return NULL;
}

static gff_node *new_node(int kind)
{
	gff_node *nd = calloc(1, sizeof(*nd));

	if (!nd) {
		dj_error_set(DJ_ENOMEM, "general_field_filter: out of memory");
		return NULL;
	}
	nd->kind = kind;
	nd->stat_col = -1;
	return nd;
}

static bool add_kid(gff_node *nd, gff_node *kid)
{
	gff_node **k = realloc(nd->kids, (nd->n + 1) * sizeof(*k));

	if (!k) {
		dj_error_set(DJ_ENOMEM, "general_field_filter: out of memory");
		return false;
	}
	nd->kids = k;
	nd->kids[nd->n++] = kid;
	return true;
}

static gff_node *parse_or(gff_parser *p);

static gff_node *parse_number(gff_parser *p, bool neg)
{
	char buf[128];
	size_t n = 0;
	gff_node *nd;

	if (p->len >= sizeof(buf))
		return expected(p, "a number of at most 127 characters");
	for (size_t k = 0; k < p->len; k++)
		if (p->src[p->start + k] != '_')
			buf[n++] = p->src[p->start + k];
	buf[n] = '\0';
	if (!(nd = new_node(p->tok == T_INT ? N_INT : N_REAL)))
		return NULL;
	errno = 0;
	if (p->tok == T_INT) {
		unsigned long long u = strtoull(buf, NULL, 10);
		if (errno || u > (neg ? 9223372036854775808ull : 9223372036854775807ull)) {
			node_free(nd);
			return expected(p, "an integer that fits in 64 bits");
		}
		nd->i = neg ? (int64_t)(0 - u) : (int64_t)u;
	} else {
		nd->d = strtod(buf, NULL);
		if (neg)
			nd->d = -nd->d;
	}
	next(p);
	return nd;
}

/* A string literal's contents with Python's common escapes. */
static gff_node *parse_string(gff_parser *p)
{
	const char *s = p->src + p->start + 1;
	size_t n = p->len - 2, o = 0;
	gff_node *nd = new_node(N_STR);

	if (!nd || !(nd->path = malloc(n + 1))) {
		node_free(nd);
		dj_error_set(DJ_ENOMEM, "general_field_filter: out of memory");
		return NULL;
	}
	for (size_t k = 0; k < n; k++) {
		char c = s[k];
		if (c == '\\' && k + 1 < n) {
			switch (s[++k]) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '0': c = '\0'; break;
			case '\\': c = '\\'; break;
			case '\'': c = '\''; break;
			case '"': c = '"'; break;
			default: nd->path[o++] = '\\'; c = s[k]; break;   /* Python keeps unknown escapes */
			}
		}
		nd->path[o++] = c;
	}
	nd->path[o] = '\0';
	nd->len = o;
	next(p);
	return nd;
}

static gff_node *parse_operand(gff_parser *p)
{
	gff_node *nd;

	switch (p->tok) {
	case T_LP:
		if (++p->depth > GFF_MAX_DEPTH)
			return expected(p, "at most 200 nested parentheses");
		next(p);
		if (!(nd = parse_or(p)))
			return NULL;
		if (p->tok != T_RP) {
			node_free(nd);
			return expected(p, "')'");
		}
		p->depth--;
		next(p);
		return nd;
	case T_MINUS:
		next(p);
		if (p->tok != T_INT && p->tok != T_REAL)
			return expected(p, "a number after '-'");
		return parse_number(p, true);
	case T_INT:
	case T_REAL:
		return parse_number(p, false);
	case T_STR:
		return parse_string(p);
	case T_NAME:
		if (tok_is(p, "True") || tok_is(p, "False")) {
			if ((nd = new_node(N_BOOL)))
				nd->i = tok_is(p, "True");
		} else if (tok_is(p, "None")) {
			nd = new_node(N_NONE);
		} else if (is_keyword(p)) {
			return expected(p, "a field name, a number, a string, True, False, None or '('");
		} else {
			if ((nd = new_node(N_NAME)) && !(nd->path = strndup(p->src + p->start, p->len))) {
				node_free(nd);
				nd = NULL;
				dj_error_set(DJ_ENOMEM, "general_field_filter: out of memory");
			}
		}
		if (nd)
			next(p);
		return nd;
	default:
		return expected(p, "a field name, a number, a string, True, False, None or '('");
	}
}

static gff_node *parse_compare(gff_parser *p)
{
	gff_node *first = parse_operand(p), *nd, *kid;

	if (!first || p->tok != T_CMP)
		return first;
	if (!(nd = new_node(N_CMP)) || !add_kid(nd, first)) {
		node_free(nd);
		node_free(first);
		return NULL;
	}
	while (p->tok == T_CMP) {
		int *ops = realloc(nd->ops, nd->n * sizeof(*ops));
		if (!ops) {
			node_free(nd);
			dj_error_set(DJ_ENOMEM, "general_field_filter: out of memory");
			return NULL;
		}
		nd->ops = ops;
		nd->ops[nd->n - 1] = p->cmp;
		next(p);
		if (!(kid = parse_operand(p)) || !add_kid(nd, kid)) {
			node_free(kid);
			node_free(nd);
			return NULL;
		}
	}
	return nd;
}

static gff_node *parse_not(gff_parser *p)
{
	gff_node *nd, *kid;

	if (!tok_is(p, "not"))
		return parse_compare(p);
	if (++p->depth > GFF_MAX_DEPTH)
		return expected(p, "at most 200 nested 'not'");
	next(p);
	if (!(kid = parse_not(p)))
		return NULL;
	p->depth--;
	if (!(nd = new_node(N_NOT)) || !add_kid(nd, kid)) {
		node_free(nd);
		node_free(kid);
		return NULL;
	}
	return nd;
}

/* left-assoc list of @sub joined by keyword @kw into a @kind node */
static gff_node *parse_list(gff_parser *p, const char *kw, int kind, gff_node *(*sub)(gff_parser *))
{
	gff_node *first = sub(p), *nd, *kid;

	if (!first || !tok_is(p, kw))
		return first;
	if (!(nd = new_node(kind)) || !add_kid(nd, first)) {
		node_free(nd);
		node_free(first);
		return NULL;
	}
	while (tok_is(p, kw)) {
		next(p);
		if (!(kid = sub(p)) || !add_kid(nd, kid)) {
			node_free(kid);
			node_free(nd);
			return NULL;
		}
	}
	return nd;
}

static gff_node *parse_and(gff_parser *p)
{
	return parse_list(p, "and", N_AND, parse_not);
}

static gff_node *parse_or(gff_parser *p)
{
	return parse_list(p, "or", N_OR, parse_and);
}

/* Parse @src into *out (NULL for an empty condition). Returns 0 or DJ_EINVAL/DJ_ENOMEM. */
static int gff_parse(gff_node **out, const char *src)
{
	gff_parser p = { .src = src ? src : "" };
	gff_node *nd;

	*out = NULL;
	next(&p);
	if (p.tok == T_END)
		return 0;
	if (!(nd = parse_or(&p)))
		return dj_error_last()->code;
	if (p.tok != T_END) {
		node_free(nd);
		expected(&p, "'and', 'or', a comparison operator or the end of the condition");
		return DJ_EINVAL;
	}
	*out = nd;
	return 0;
}

/* ---- the op ------------------------------------------------------------------------- */

typedef struct gff_state {
	gff_node *root;          /* NULL: keep everything */
	bool reversed;
	int col;
} gff_state;

static const dj_param_spec gff_params[] = {
	DJ_FILTER_COMMON_PARAMS(gff_cfg),
	{ "filter_condition", DJ_PARAM_STR, offsetof(gff_cfg, filter_condition), 0, 0, "\"\"",
	  "condition on sample fields, e.g. \"num < 10 and meta.lang == 'en'\"", DJ_PARAM_F_NULLABLE },
};

static void gff_free(void *state)
{
	gff_state *st = state;

	if (!st)
		return;
	node_free(st->root);
	free(st);
}

static int gff_check(const void *cfg)
{
	const gff_cfg *c = cfg;
	gff_node *root;
	int rc = gff_parse(&root, c->filter_condition);

	node_free(root);
	return rc;
}

/* Resolve names: the text field, and stats (their columns). */
static int resolve(gff_node *nd, dj_ctx *ctx)
{
	static const char stats[] = "__dj__stats__.";

	for (size_t k = 0; k < nd->n; k++)
		DJ_TRY(resolve(nd->kids[k], ctx));
	if (nd->kind != N_NAME)
		return 0;
	if (ctx->text_key && strcmp(nd->path, ctx->text_key) == 0)
		nd->is_text = true;
	if (strncmp(nd->path, stats, sizeof(stats) - 1) == 0) {
		char *name = nd->path + sizeof(stats) - 1, *dot = strchr(name, '.');
		int rc;
		if (dot)
			*dot = '\0';
		rc = dj_ctx_stat_column(ctx, name, &nd->stat_col);
		if (dot) {
			*dot = '.';
			nd->stat_rest = dot + 1;
		}
		return rc;
	}
	return 0;
}

static int gff_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const gff_cfg *c = cfg;
	gff_state *st;
	int rc;

	if (!(st = calloc(1, sizeof(*st))))
		return dj_error_set(DJ_ENOMEM, "general_field_filter: out of memory");
	st->reversed = c->common.reversed_range;
	if ((rc = gff_parse(&st->root, c->filter_condition)) < 0 ||
	    (st->root && (rc = resolve(st->root, ctx)) < 0) ||
	    (rc = dj_ctx_stat_column(ctx, GFF_STAT, &st->col)) < 0) {
		gff_free(st);
		return rc;
	}
	*state_out = st;
	return 0;
}

/* ---- values --------------------------------------------------------------------- */

typedef struct gv {
	enum { V_NONE, V_BOOL, V_INT, V_REAL, V_STR, V_LIST, V_DICT } k;
	int64_t i;
	double d;
	const char *s;
	size_t len;
	const json_t *j;
} gv;

static gv gv_json(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_INTEGER: return (gv){ .k = V_INT, .i = json_integer_value(j) };
	case JSON_REAL: return (gv){ .k = V_REAL, .d = json_real_value(j) };
	case JSON_TRUE: return (gv){ .k = V_BOOL, .i = 1 };
	case JSON_FALSE: return (gv){ .k = V_BOOL, .i = 0 };
	case JSON_STRING: return (gv){ .k = V_STR, .s = json_string_value(j), .len = json_string_length(j) };
	case JSON_ARRAY: return (gv){ .k = V_LIST, .j = j };
	case JSON_OBJECT: return (gv){ .k = V_DICT, .j = j };
	default: return (gv){ .k = V_NONE };
	}
}

static bool truthy(gv v)
{
	switch (v.k) {
	case V_BOOL: case V_INT: return v.i != 0;
	case V_REAL: return v.d != 0;
	case V_STR: return v.len > 0;
	case V_LIST: return json_array_size(v.j) > 0;
	case V_DICT: return json_object_size(v.j) > 0;
	default: return false;
	}
}

static const char *type_name(gv v)
{
	static const char *const names[] = { "NoneType", "bool", "int", "float", "str", "list", "dict" };
	return names[v.k];
}

static bool is_num(gv v) { return v.k == V_BOOL || v.k == V_INT || v.k == V_REAL; }

/* Outcome of one comparison: 1 true, 0 false, -1 TypeError (*bad_a, *bad_b set). */
static int compare(gv a, int op, gv b, gv *bad_a, gv *bad_b);

static bool op_result(int op, int c)   /* c: <0, 0, >0 */
{
	switch (op) {
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	case OP_GE: return c >= 0;
	case OP_EQ: return c == 0;
	default: return c != 0;
	}
}

static int num_compare(gv a, int op, gv b)
{
	if (a.k != V_REAL && b.k != V_REAL)
		return op_result(op, (a.i > b.i) - (a.i < b.i));
	if ((a.k == V_REAL && isnan(a.d)) || (b.k == V_REAL && isnan(b.d)))
		return op == OP_NE;
	{
		/* long double holds every int64 exactly (x87 and IEEE quad) */
		long double x = a.k == V_REAL ? (long double)a.d : (long double)a.i;
		long double y = b.k == V_REAL ? (long double)b.d : (long double)b.i;
		return op_result(op, (x > y) - (x < y));
	}
}

static bool py_eq(gv a, gv b)
{
	gv ba, bb;
	if (a.k == V_NONE || b.k == V_NONE)
		return a.k == b.k;
	return compare(a, OP_EQ, b, &ba, &bb) == 1;
}

static int compare(gv a, int op, gv b, gv *bad_a, gv *bad_b)
{
	bool eq_op = op == OP_EQ || op == OP_NE;

	if (is_num(a) && is_num(b))
		return num_compare(a, op, b);
	if (a.k == V_STR && b.k == V_STR) {
		int c = memcmp(a.s, b.s, a.len < b.len ? a.len : b.len);
		if (c == 0)
			c = (a.len > b.len) - (a.len < b.len);
		return op_result(op, c);
	}
	if (a.k == V_LIST && b.k == V_LIST) {
		size_t na = json_array_size(a.j), nb = json_array_size(b.j);
		for (size_t k = 0; k < na && k < nb; k++) {
			gv x = gv_json(json_array_get(a.j, k)), y = gv_json(json_array_get(b.j, k));
			if (!py_eq(x, y)) {
				if (eq_op)
					return op == OP_NE;
				if (x.k == V_NONE || y.k == V_NONE) {
					*bad_a = x;
					*bad_b = y;
					return -1;
				}
				return compare(x, op, y, bad_a, bad_b);
			}
		}
		return op_result(op, (na > nb) - (na < nb));
	}
	if (a.k == V_DICT && b.k == V_DICT && eq_op) {
		const char *key;
		json_t *va, *vb;
		bool eq = json_object_size(a.j) == json_object_size(b.j);
		json_object_foreach((json_t *)a.j, key, va) {
			if (!eq)
				break;
			eq = (vb = json_object_get(b.j, key)) && py_eq(gv_json(va), gv_json(vb));
		}
		return eq == (op == OP_EQ);
	}
	if (a.k == V_NONE && b.k == V_NONE && eq_op)
		return op == OP_EQ;
	if (eq_op)
		return op == OP_NE;
	*bad_a = a;
	*bad_b = b;
	return -1;
}

/* ---- evaluation ------------------------------------------------------------------- */

/* The value of a name in sample @i: returns 1 with *out, 0 if the sample failed, or an
 * error. */
static int lookup(gv *out, const gff_node *nd, dj_batch *b, size_t i)
{
	json_t *j = NULL;
	int rc;

	*out = (gv){ .k = V_NONE };
	if (nd->is_text) {
		dj_span t = dj_batch_text(b, i);
		*out = (gv){ .k = V_STR, .s = t.p, .len = t.len };
		return 1;
	}
	if (nd->stat_col >= 0) {
		dj_value v;
		if (!dj_batch_stat_get(b, i, nd->stat_col, &v))
			return 1;
		switch (v.kind) {
		case DJ_VAL_INT: *out = (gv){ .k = V_INT, .i = v.u.i }; break;
		case DJ_VAL_REAL: *out = (gv){ .k = V_REAL, .d = v.u.d }; break;
		case DJ_VAL_BOOL: *out = (gv){ .k = V_BOOL, .i = v.u.b }; break;
		case DJ_VAL_STR: *out = (gv){ .k = V_STR, .s = v.u.s.p, .len = v.u.s.len }; break;
		case DJ_VAL_JSON: j = v.u.j; break;
		default: break;
		}
		if (!nd->stat_rest) {
			if (j)
				*out = gv_json(j);
			return 1;
		}
		/* a.b.c inside the stat value: None unless every level is a mapping */
		for (const char *seg = nd->stat_rest; j; ) {
			const char *dot = strchr(seg, '.');
			size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
			j = json_is_object(j) ? json_object_getn(j, seg, n) : NULL;
			if (!dot)
				break;
			seg = dot + 1;
		}
		if (j)
			*out = gv_json(j);
		return 1;
	}
	rc = dj_batch_field(b, i, nd->path, &j);
	if (rc == DJ_ENOTFOUND)
		return 1;    /* a parent is missing or not a mapping: None, like dict.get */
	if (rc < 0)
		return dj_batch_fail(b, i, "general_field_filter: %s", dj_error_last()->msg);
	if (j)
		*out = gv_json(j);
	return 1;
}

/* Evaluate @nd on sample @i: returns 1 with *out, 0 if the sample failed, or an error. */
static int eval(gv *out, const gff_node *nd, dj_batch *b, size_t i)
{
	gv l, r, ba, bb;
	int rc;

	switch (nd->kind) {
	case N_OR:
	case N_AND:
		for (size_t k = 0; k < nd->n; k++) {
			if ((rc = eval(&l, nd->kids[k], b, i)) <= 0)
				return rc;
			if (truthy(l) == (nd->kind == N_OR)) {
				*out = (gv){ .k = V_BOOL, .i = nd->kind == N_OR };
				return 1;
			}
		}
		*out = (gv){ .k = V_BOOL, .i = nd->kind == N_AND };
		return 1;
	case N_NOT:
		if ((rc = eval(&l, nd->kids[0], b, i)) <= 0)
			return rc;
		*out = (gv){ .k = V_BOOL, .i = !truthy(l) };
		return 1;
	case N_CMP:
		*out = (gv){ .k = V_BOOL, .i = 0 };
		if ((rc = eval(&l, nd->kids[0], b, i)) <= 0)
			return rc;
		for (size_t k = 1; k < nd->n; k++) {
			if ((rc = eval(&r, nd->kids[k], b, i)) <= 0)
				return rc;
			if (l.k == V_NONE || r.k == V_NONE)
				return 1;
			rc = compare(l, nd->ops[k - 1], r, &ba, &bb);
			if (rc < 0)
				return dj_batch_fail(b, i, "general_field_filter: TypeError: '%s' not supported "
					"between instances of '%s' and '%s'", op_str[nd->ops[k - 1]],
					type_name(ba), type_name(bb));
			if (rc == 0)
				return 1;
			l = r;
		}
		out->i = 1;
		return 1;
	case N_NAME:
		return lookup(out, nd, b, i);
	case N_INT:
		*out = (gv){ .k = V_INT, .i = nd->i };
		return 1;
	case N_REAL:
		*out = (gv){ .k = V_REAL, .d = nd->d };
		return 1;
	case N_STR:
		*out = (gv){ .k = V_STR, .s = nd->path, .len = nd->len };
		return 1;
	case N_BOOL:
		*out = (gv){ .k = V_BOOL, .i = nd->i };
		return 1;
	default:
		*out = (gv){ .k = V_NONE };
		return 1;
	}
}

static bool value_truthy(const dj_value *v)
{
	switch (v->kind) {
	case DJ_VAL_INT: return v->u.i != 0;
	case DJ_VAL_REAL: return v->u.d != 0;
	case DJ_VAL_BOOL: return v->u.b;
	case DJ_VAL_STR: return v->u.s.len > 0;
	case DJ_VAL_JSON: return truthy(gv_json(v->u.j));
	default: return false;
	}
}

static int gff_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	gff_state *st = state;

	(void)ctx;
	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		dj_value sv;
		bool cond = true;
		int rc;

		if (!dj_batch_alive(b, i))
			continue;
		if (dj_batch_stat_get(b, i, st->col, &sv)) {
			cond = value_truthy(&sv);
		} else {
			if (st->root) {
				gv v;
				if ((rc = eval(&v, st->root, b, i)) < 0)
					return rc;
				if (rc == 0)
					continue;    /* failed and dropped */
				cond = truthy(v);
			}
			DJ_TRY(dj_batch_stat_set(b, i, st->col, DJ_VALUE_BOOL(cond)));
		}
		if (cond == st->reversed)
			dj_batch_drop(b, i);
	}
	return 0;
}

const dj_op_vtab dj_op_general_field_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "general_field_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples for which a condition on their fields holds (and, or, not, comparisons)",
	.params = gff_params, .n_params = DJ_ARRAY_LEN(gff_params), .cfg_size = sizeof(gff_cfg),
	.init = gff_init, .process = gff_process, .free = gff_free, .check = gff_check,
};
