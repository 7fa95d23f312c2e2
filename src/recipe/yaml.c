/* YAML -> JSON tree with libyaml's event parser. Plain scalars are resolved like PyYAML's
 * safe_load (YAML 1.1: null/~, true/false/yes/no/on/off, ints, floats), which is what
 * Data-Juicer's jsonargparse sees; quoted scalars stay strings. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "dj/error.h"
#include "dj/recipe.h"

#define MAX_DEPTH 256

static bool is_one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

static json_t *resolve_plain(const char *s, size_t len)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL };
	char *end;

	if (is_one_of(s, nulls))
		return json_null();
	if (is_one_of(s, trues))
		return json_true();
	if (is_one_of(s, falses))
		return json_false();
	if (len > 0 && (isdigit((unsigned char)s[0]) || ((s[0] == '-' || s[0] == '+') && len > 1))) {
		errno = 0;
		long long v = strtoll(s, &end, 0);
		if (*end == '\0' && errno == 0 && !(len > 1 && s[0] == '0' && isdigit((unsigned char)s[1])))
			return json_integer(v);
		errno = 0;
		double d = strtod(s, &end);
		if (*end == '\0' && errno == 0 && !strpbrk(s, "xXnN"))
			return json_real(d);
	}
	if (strcasecmp(s, ".inf") == 0 || strcasecmp(s, "+.inf") == 0)
		return json_real(INFINITY);
	if (strcasecmp(s, "-.inf") == 0)
		return json_real(-INFINITY);
	return json_stringn(s, len);
}

typedef struct anchor {
	char *name;
	json_t *value;
} anchor;

typedef struct frame {
	json_t *node;
	char *key;          /* pending mapping key */
} frame;

int dj_recipe_read_yaml(json_t **tree_out, const char *text, size_t len, const char *origin)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	frame stack[MAX_DEPTH];
	int depth = 0, rc = 0;
	json_t *root = NULL;
	anchor *anchors = NULL;
	size_t n_anchors = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		json_t *value = NULL;
		const char *anchor_name = NULL;

		if (!yaml_parser_parse(&parser, &ev)) {
			rc = dj_error_set(DJ_EINVAL, "%s:%zu:%zu: YAML error: %s%s%s", origin,
				parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "syntax error",
				parser.context ? " " : "", parser.context ? parser.context : "");
			goto out;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			done = ev.type == YAML_STREAM_END_EVENT || root != NULL;
			break;
		case YAML_SCALAR_EVENT: {
			const char *s = (const char *)ev.data.scalar.value;
			size_t n = ev.data.scalar.length;
			anchor_name = (const char *)ev.data.scalar.anchor;
			if (depth > 0 && json_is_object(stack[depth - 1].node) && !stack[depth - 1].key) {
				if (!(stack[depth - 1].key = strndup(s, n))) {
					rc = dj_error_set(DJ_ENOMEM, "out of memory");
					goto out_ev;
				}
				break;
			}
			if (ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.tag)
				value = resolve_plain(s, n);
			else
				value = json_stringn(s, n);
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth > 0 && json_is_object(stack[depth - 1].node) && !stack[depth - 1].key) {
				rc = dj_error_set(DJ_EINVAL, "%s:%zu: mapping keys must be scalars", origin,
					ev.start_mark.line + 1);
				goto out_ev;
			}
			if (depth == MAX_DEPTH) {
				rc = dj_error_set(DJ_EINVAL, "%s:%zu: nesting too deep", origin, ev.start_mark.line + 1);
				goto out_ev;
			}
			stack[depth].node = ev.type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
			stack[depth].key = NULL;
			if (ev.type == YAML_SEQUENCE_START_EVENT)
				anchor_name = (const char *)ev.data.sequence_start.anchor;
			else
				anchor_name = (const char *)ev.data.mapping_start.anchor;
			if (anchor_name) {
				anchor *na = realloc(anchors, (n_anchors + 1) * sizeof(*na));
				if (!na) {
					rc = dj_error_set(DJ_ENOMEM, "out of memory");
					goto out_ev;
				}
				anchors = na;
				anchors[n_anchors].name = strdup(anchor_name);
				anchors[n_anchors++].value = json_incref(stack[depth].node);
				anchor_name = NULL;
			}
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			value = stack[--depth].node;
			free(stack[depth].key);
			break;
		case YAML_ALIAS_EVENT: {
			const char *name = (const char *)ev.data.alias.anchor;
			for (size_t k = 0; k < n_anchors && !value; k++)
				if (strcmp(anchors[k].name, name) == 0)
					value = json_incref(anchors[k].value);
			if (!value) {
				rc = dj_error_set(DJ_EINVAL, "%s:%zu: unknown alias *%s", origin,
					ev.start_mark.line + 1, name);
				goto out_ev;
			}
			break;
		}
		default:
			break;
		}
		if (value) {
			if (anchor_name) {
				anchor *na = realloc(anchors, (n_anchors + 1) * sizeof(*na));
				if (na) {
					anchors = na;
					anchors[n_anchors].name = strdup(anchor_name);
					anchors[n_anchors++].value = json_incref(value);
				}
			}
			if (depth == 0) {
				root = value;
			} else if (json_is_array(stack[depth - 1].node)) {
				json_array_append_new(stack[depth - 1].node, value);
			} else {
				json_object_set_new(stack[depth - 1].node, stack[depth - 1].key, value);
				free(stack[depth - 1].key);
				stack[depth - 1].key = NULL;
			}
		}
out_ev:
		yaml_event_delete(&ev);
		if (rc < 0)
			goto out;
	}
	*tree_out = root ? root : json_object();
	root = NULL;
out:
	while (depth > 0) {
		depth--;
		free(stack[depth].key);
		json_decref(stack[depth].node);
	}
	for (size_t k = 0; k < n_anchors; k++) {
		free(anchors[k].name);
		json_decref(anchors[k].value);
	}
	free(anchors);
	json_decref(root);
	yaml_parser_delete(&parser);
	return rc;
}
