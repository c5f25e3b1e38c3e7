/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libcpns internals shared between its files and the KAT requests of
 * cpnsctl/vectors/; not installed.
 */
#ifndef CPNS_LIB_INTERNAL_H
#define CPNS_LIB_INTERNAL_H

#include <stdarg.h>
#include "cpns.h"

struct nl_sock;
struct nl_msg;

struct cpns_nl {
	struct nl_sock *sk;
	uint16_t family;
	struct cpns_error last;
};

struct cpns_msg {
	struct nl_msg *m;
};

/* Highest attribute type kept in a reply's table; higher ones are skipped
 * (a newer kernel may add some). */
#define CPNS_TB_MAX 63

/* Which enum the attributes of a set belong to. */
enum cpns_level {
	CPNS_LEVEL_TOP,		/* enum cpns_attr */
	CPNS_LEVEL_AEAD,	/* enum cpns_aead_attr */
	CPNS_LEVEL_STATS,	/* enum cpns_stats_attr */
};

struct cpns_reply {
	const struct nlmsghdr *nlh;
	uint8_t cmd;
	enum cpns_level level;
	const struct nlattr *head;	/* first attribute of the set */
	size_t len;			/* bytes of attributes */
	const struct nlattr *tb[CPNS_TB_MAX + 1];
};

/* msg.c */
int cpns__parse_attrs(struct cpns_reply *r, enum cpns_level level,
		      const void *head, size_t len, char *err, size_t errlen);
int cpns__parse_msg(struct cpns_reply *r, const void *buf, size_t len,
		    char *err, size_t errlen);
/* The nested level of attribute type at level, or -1 if not a nest. */
int cpns__nest_level(enum cpns_level level, uint16_t type);

/* nl.c */
void cpns__clear_error(struct cpns_nl *nl);
int cpns__fail(struct cpns_nl *nl, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct cpns_msg *cpns__req(struct cpns_nl *nl, uint8_t cmd, size_t size);

/* A fixed-size attribute to send. */
struct cpns_put {
	uint16_t type;
	const void *data;
	size_t len;
};

/* A fixed-size attribute the reply must carry, copied to out on success
 * only. */
struct cpns_want {
	uint16_t type;
	void *out;
	size_t len;
};

/*
 * Send cmd with the attributes puts (NULL data entries are skipped), and
 * on success copy the wanted reply attributes out; a wanted attribute
 * missing from the reply fails with -EBADMSG and leaves every out alone.
 */
int cpns__call(struct cpns_nl *nl, uint8_t cmd, const struct cpns_put *puts,
	       size_t nputs, const struct cpns_want *wants, size_t nwants);

#define CPNS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* CPNS_LIB_INTERNAL_H */
