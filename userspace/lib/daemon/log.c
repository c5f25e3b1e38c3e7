// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Logging for the daemons: one line per event, to stderr or syslog. Lines
 * are built whole and written with one write() so that lines of several
 * processes sharing a terminal or a test log do not mix. When stderr is
 * the journal's stream (systemd sets JOURNAL_STREAM to its device and
 * inode), each line starts with its priority, "<3>", and carries no time
 * or ident of its own: the journal records both.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "daemon.h"

static const char *log_ident = "cpns";
static enum cpns_log_target log_target = CPNS_LOG_STDERR;
static int log_level = CPNS_LOG_INFO;
static bool log_syslog_open;
static bool log_echo;
static bool log_journal;
/* getpid() is a system call each time: the pid is kept, and forgotten in a
 * child of fork().
 */
static pid_t log_pid;
static bool log_atfork;

static void log_forget_pid(void)
{
	log_pid = 0;
}

static const char *const level_names[] = {
	[CPNS_LOG_ERR] = "err",
	[CPNS_LOG_WARNING] = "warning",
	[CPNS_LOG_NOTICE] = "notice",
	[CPNS_LOG_INFO] = "info",
	[CPNS_LOG_DEBUG] = "debug",
};

/* Is stderr the stream that JOURNAL_STREAM ("DEV:INODE") names? */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void cpns_log_open(const char *ident, enum cpns_log_target target, int level)
{
	log_journal = stderr_is_journal();
	if (!log_atfork)
		log_atfork = !pthread_atfork(NULL, NULL, log_forget_pid);
	if (log_syslog_open && (target != CPNS_LOG_SYSLOG ||
				strcmp(ident, log_ident))) {
		closelog();
		log_syslog_open = false;
	}
	log_ident = ident;
	log_target = target;
	log_level = level;
	if (target == CPNS_LOG_SYSLOG && !log_syslog_open) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog_open = true;
	}
}

void cpns_log_close(void)
{
	if (log_syslog_open)
		closelog();
	log_syslog_open = false;
	log_target = CPNS_LOG_STDERR;
}

void cpns_log_echo(bool on)
{
	log_echo = on;
}

bool cpns_log_enabled(int level)
{
	return level <= log_level;
}

const char *cpns_log_level_name(int level)
{
	if (level < CPNS_LOG_ERR || level > CPNS_LOG_DEBUG)
		return "?";
	return level_names[level];
}

int cpns_log_level_parse(const char *s, int *level)
{
	int i;

	for (i = CPNS_LOG_ERR; i <= CPNS_LOG_DEBUG; i++) {
		if (!strcmp(s, level_names[i])) {
			*level = i;
			return 0;
		}
	}
	return -EINVAL;
}

int cpns_log_target_parse(const char *s, enum cpns_log_target *target)
{
	if (!strcmp(s, "stderr"))
		*target = CPNS_LOG_STDERR;
	else if (!strcmp(s, "syslog"))
		*target = CPNS_LOG_SYSLOG;
	else
		return -EINVAL;
	return 0;
}

/* Control characters (a peer's name never has any, but an errno text or a
 * path could) would let one log line pose as two.
 */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Write one line to stderr with a time, ident, pid and level prefix. */
static void stderr_line(int level, const char *msg)
{
	char line[1100];
	struct timespec ts;
	struct tm tm;
	size_t n;
	ssize_t w;
	int ret;

	if (log_journal) {
		n = 0;
		ret = snprintf(line, sizeof(line), "<%d>%s\n", level, msg);
	} else {
		if (!log_pid || !log_atfork)
			log_pid = getpid();
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%H:%M:%S", &tm);
		ret = snprintf(line + n, sizeof(line) - n,
			       ".%03ld %s[%d]: %s%s%s\n",
			       ts.tv_nsec / 1000000, log_ident, (int)log_pid,
			       level <= CPNS_LOG_WARNING ?
			       cpns_log_level_name(level) : "",
			       level <= CPNS_LOG_WARNING ? ": " : "", msg);
	}
	if (ret < 0)
		return;
	n += (size_t)ret;
	if (n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write per line; nowhere to report its failure. */
	w = write(STDERR_FILENO, line, n);
	(void)w;
}

void cpns_vlog(int level, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;

	if (!cpns_log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	sanitize(msg);
	if (log_target == CPNS_LOG_SYSLOG)
		syslog(level, "%s", msg);
	if (log_target == CPNS_LOG_STDERR || log_echo)
		stderr_line(level, msg);
	errno = saved;
}

void cpns_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cpns_vlog(level, fmt, ap);
	va_end(ap);
}

/* The causes seen in the last CPNS_LOG_REPEAT_MS, by hash of their text. */
struct log_cause {
	uint64_t hash;		/* 0: free */
	uint64_t since;		/* cpns_now_coarse_ms() of its first line */
	unsigned int written;	/* lines written in the interval */
	unsigned long long dropped;
};

static struct log_cause log_causes[CPNS_LOG_CAUSES];

/* FNV-1a; never 0, which marks a free entry. */
static uint64_t cause_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

bool cpns_log_cause(const char *cause, unsigned int burst,
		    unsigned long long *dropped)
{
	uint64_t h = cause_hash(cause), now = cpns_now_coarse_ms();
	struct log_cause *e = &log_causes[h % CPNS_LOG_CAUSES];

	if (dropped)
		*dropped = 0;
	if (e->hash == h && now - e->since < CPNS_LOG_REPEAT_MS) {
		if (e->written < burst) {
			e->written++;
			return true;
		}
		e->dropped++;
		return false;
	}
	if (e->hash == h && dropped)
		*dropped = e->dropped;
	e->hash = h;
	e->since = now;
	e->written = 1;
	e->dropped = 0;
	return true;
}

const char *cpns_log_hex(const void *p, size_t len)
{
	static char slots[CPNS_LOG_HEX_SLOTS][2 * CPNS_LOG_HEX_MAX + 4];
	static unsigned int next;
	char *out = slots[next++ % CPNS_LOG_HEX_SLOTS];
	bool cut = len > CPNS_LOG_HEX_MAX;

	if (cut)
		len = CPNS_LOG_HEX_MAX;
	cpns_hex_encode(out, p, len);
	if (cut)
		strcpy(out + 2 * len, "...");
	return out;
}
