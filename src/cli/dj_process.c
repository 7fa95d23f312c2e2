/* dj-process: run a Data-Juicer recipe over a corpus, on one rank or many under mpirun. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dist.h"
#include "dj/dj.h"
#include "dj/exec.h"
#include "dj/recipe.h"
#include "dj_config.h"

enum {
	OPT_DATASET = 256, OPT_EXPORT, OPT_WORK_DIR, OPT_NP, OPT_STRICT, OPT_BATCH, OPT_QUIET,
	OPT_VERSION, OPT_LOG, OPT_RESUME, OPT_SHARD, OPT_EXCHANGE,
};

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "dataset_path", required_argument, NULL, OPT_DATASET },
	{ "dataset-path", required_argument, NULL, OPT_DATASET },
	{ "export_path", required_argument, NULL, OPT_EXPORT },
	{ "export-path", required_argument, NULL, OPT_EXPORT },
	{ "work_dir", required_argument, NULL, OPT_WORK_DIR },
	{ "work-dir", required_argument, NULL, OPT_WORK_DIR },
	{ "np", required_argument, NULL, OPT_NP },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "batch_bytes", required_argument, NULL, OPT_BATCH },
	{ "batch-bytes", required_argument, NULL, OPT_BATCH },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "exchange_mb", required_argument, NULL, OPT_EXCHANGE },
	{ "exchange-mb", required_argument, NULL, OPT_EXCHANGE },
	{ "shard_bytes", required_argument, NULL, OPT_SHARD },
	{ "shard-bytes", required_argument, NULL, OPT_SHARD },
	{ "log_level", required_argument, NULL, OPT_LOG },
	{ "log-level", required_argument, NULL, OPT_LOG },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: [mpirun -np N] dj-process --config RECIPE [options]\n"
"\n"
"Run a Data-Juicer recipe (YAML or JSON) over a JSONL corpus.\n"
"\n"
"  -c, --config RECIPE      the recipe (.yaml, .yml or .json)\n"
"      --dataset_path P     input: file, directory, glob, or \"<w1> <p1> <w2> <p2>\" mixture\n"
"      --export_path P      output file (.jsonl, .jsonl.lz4, .jsonl.zst, .jsonl.gz)\n"
"      --work_dir D         where summary.json, rejected/ and trace/ go\n"
"                           (default: the directory of export_path)\n"
"      --np N               accepted for Data-Juicer compatibility and ignored:\n"
"                           the number of ranks is mpirun's -np\n"
"      --strict             a malformed input line is fatal instead of rejected\n"
"      --batch_bytes N      bytes of input per batch (default 4194304)\n"
"      --shard_bytes N      split uncompressed inputs larger than N bytes into shards\n"
"                           of about N bytes, cut at line ends (default 67108864)\n"
"      --exchange_mb N      deduplicators: exchange buffers per rank and round, in MiB\n"
"                           (default 256; rounds keep memory bounded on any corpus)\n"
"      --resume             reuse the parts of shards a previous run of the same recipe\n"
"                           and inputs completed (also: use_checkpoint: true)\n"
"      --quiet              no summary table or progress on stdout/stderr\n"
"      --log_level L        error, warn, info (default) or debug\n"
"      --version            print the version\n"
"  -h, --help               this help\n"
"\n"
"Command-line values override the recipe's keys. Exit status: 0 ok, 1 runtime error,\n"
"2 usage or recipe error.\n");
}

typedef struct cli {
	const char *config, *dataset_path, *export_path, *work_dir;
	dj_run_options run;
	bool help, version;
} cli;

static int parse_args(cli *c, int argc, char **argv, bool loud)
{
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': c->config = optarg; break;
		case OPT_DATASET: c->dataset_path = optarg; break;
		case OPT_EXPORT: c->export_path = optarg; break;
		case OPT_WORK_DIR: c->work_dir = optarg; break;
		case OPT_NP: {
			char *end;
			long np = strtol(optarg, &end, 10);
			if (*end || np < 1)
				return dj_error_set(DJ_EINVAL, "--np: expected a positive integer, got '%s'", optarg);
			if (loud)
				DJ_LOG(DJ_LOG_INFO, "--np %ld ignored: the number of ranks is set by mpirun -np", np);
			break;
		}
		case OPT_STRICT: c->run.strict = true; break;
		case OPT_BATCH: {
			char *end;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (*end || n < 1024)
				return dj_error_set(DJ_EINVAL, "--batch_bytes: expected a number >= 1024, got '%s'", optarg);
			c->run.batch_bytes = (size_t)n;
			break;
		}
		case OPT_QUIET: c->run.quiet = true; break;
		case OPT_RESUME: c->run.resume = true; break;
		case OPT_EXCHANGE: {
			char *end;
			double mb = strtod(optarg, &end);
			if (*end || !(mb > 0) || mb > 1048576)
				return dj_error_set(DJ_EINVAL, "--exchange_mb: expected a positive number of MiB, got '%s'", optarg);
			c->run.exchange_bytes = (size_t)(mb * 1048576.0);
			break;
		}
		case OPT_SHARD: {
			char *end;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (*end || n < 1 || optarg[0] == '-')
				return dj_error_set(DJ_EINVAL, "--shard_bytes: expected a positive number, got '%s'", optarg);
			c->run.shard_bytes = n;
			break;
		}
		case OPT_LOG:
			if (strcmp(optarg, "error") == 0) dj_log_threshold = DJ_LOG_ERR;
			else if (strcmp(optarg, "warn") == 0) dj_log_threshold = DJ_LOG_WARN;
			else if (strcmp(optarg, "info") == 0) dj_log_threshold = DJ_LOG_INFO;
			else if (strcmp(optarg, "debug") == 0) dj_log_threshold = DJ_LOG_DEBUG;
			else return dj_error_set(DJ_EINVAL, "--log_level: unknown level '%s'", optarg);
			break;
		case OPT_VERSION: c->version = true; break;
		case 'h': c->help = true; break;
		case ':':
			return dj_error_set(DJ_EINVAL, "option '%s' needs a value", argv[optind - 1]);
		default:
			return dj_error_set(DJ_EINVAL, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return dj_error_set(DJ_EINVAL, "unexpected argument '%s' (see --help)", argv[optind]);
	if (!c->help && !c->version && !c->config)
		return dj_error_set(DJ_EINVAL, "--config RECIPE is required (see --help)");
	return 0;
}

static int set_override(json_t *tree, const char *key, const char *value)
{
	if (value && json_object_set_new(tree, key, json_string(value)) < 0)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	return 0;
}

/* Rank 0: read, override and validate the recipe; return its normalised text. */
static int load_recipe(const cli *c, char **text_out, size_t *len_out)
{
	json_t *tree = NULL;
	dj_recipe *r = NULL;
	int rc;

	if ((rc = dj_recipe_read_file(&tree, c->config)) < 0)
		return rc == DJ_ENOTFOUND ? DJ_EINVAL : rc;
	if ((rc = set_override(tree, "dataset_path", c->dataset_path)) < 0 ||
	    (rc = set_override(tree, "export_path", c->export_path)) < 0 ||
	    (rc = set_override(tree, "work_dir", c->work_dir)) < 0)
		goto out;
	if ((rc = dj_recipe_from_tree(&r, tree)) < 0) {
		dj_error_prefix("%s", c->config);
		goto out;
	}
	if (!(*text_out = json_dumps(tree, JSON_COMPACT)))
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
	else
		*len_out = strlen(*text_out);
out:
	dj_recipe_free(r);
	json_decref(tree);
	return rc;
}

int main(int argc, char **argv)
{
	dj_dist *d = NULL;
	dj_recipe *r = NULL;
	cli c = { .run = DJ_RUN_OPTIONS_INIT };
	char *text = NULL;
	size_t len = 0;
	int rc, rank;

	/* A file-size limit (ulimit -f, quotas) must be an I/O error with a message, not a kill. */
	signal(SIGXFSZ, SIG_IGN);
	if (dj_dist_init(&d, &argc, &argv) < 0) {
		fprintf(stderr, "dj-process: error: %s\n", dj_error_last()->msg);
		return DJ_EXIT_RUNTIME;
	}
	rank = dj_dist_rank(d);
	dj_log_set_rank(dj_dist_size(d) > 1 ? rank : -1);
	rc = parse_args(&c, argc, argv, rank == 0);
	if (rc == 0 && (c.help || c.version)) {
		if (rank == 0) {
			if (c.help)
				usage(stdout);
			else
				printf("dj-process %s\n", DJ_VERSION);
		}
		goto out;
	}
	if (rc == 0 && rank == 0)
		rc = load_recipe(&c, &text, &len);
	/* Config errors are reported once, by rank 0, before any data is touched. */
	if ((rc = dj_dist_agree(d, rc)) < 0)
		goto out;
	if ((rc = dj_dist_bcast_bytes(d, &text, &len)) < 0)
		goto out;
	{
		json_t *tree = json_loadb(text, len, 0, NULL);
		rc = tree ? dj_recipe_from_tree(&r, tree) : dj_error_set(DJ_EMPI, "corrupt recipe received");
		json_decref(tree);
	}
	if ((rc = dj_dist_agree(d, rc)) < 0)
		goto out;
	rc = dj_exec_run_all(d, r, &c.run);
out:
	if (rc < 0) {
		/* The executor leaves the failing rank's message on rank 0 only. */
		const dj_error *e = dj_error_last();
		if (e->code != 0)
			fprintf(stderr, "dj-process: error: %s\n", e->msg);
		else if (rank == 0)
			fprintf(stderr, "dj-process: error: the run failed on another rank\n");
	}
	dj_recipe_free(r);
	free(text);
	dj_dist_finalize(d);
	return rc < 0 ? dj_rc_exit_code(rc) : DJ_EXIT_OK;
}
