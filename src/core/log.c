/* Leveled logging to stderr: one line per call with time, rank and level. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "dj/log.h"

dj_log_level dj_log_threshold = DJ_LOG_INFO;
static int log_rank = -1;

void dj_log_set_rank(int rank)
{
	log_rank = rank;
}

void dj__log(dj_log_level lvl, const char *file, int line, const char *fmt, ...)
{
	static const char *const names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
	char when[32], head[96], msg[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	if (log_rank >= 0)
		snprintf(head, sizeof(head), "[%s rank %d %s]", when, log_rank, names[lvl]);
	else
		snprintf(head, sizeof(head), "[%s %s]", when, names[lvl]);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One fprintf so lines of different ranks do not interleave mid-line. */
	if (lvl == DJ_LOG_ERR || lvl == DJ_LOG_DEBUG)
		fprintf(stderr, "%s %s (%s:%d)\n", head, msg, file, line);
	else
		fprintf(stderr, "%s %s\n", head, msg);
}
