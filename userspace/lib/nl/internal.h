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

/* Which commands of the socket's family answer without a reply. */
enum cpns_fam_kind {
	CPNS_FAM_OTHER,		/* unknown: ask for an ACK on every command */
	CPNS_FAM_CPNS,		/* cpns: KEY_DEL and SESSION_DEL */
	CPNS_FAM_KAT,		/* cpns_kat: every command replies */
};

struct cpns_nl {
	struct nl_sock *sk;
	int fd;
	uint32_t port;		/* the socket's netlink port id */
	uint32_t seq;		/* the last request's sequence number */
	uint16_t family;
	uint8_t kind;		/* enum cpns_fam_kind */
	bool busy;		/* in cpns_msg_send(): rx is in use */
	bool req_out;		/* req is handed out */
	uint8_t *rx;		/* receive buffer, rx_size bytes */
	size_t rx_size;		/* CPNS_RX_SIZE, or more once a batch needed it */
	struct cpns_msg *req;	/* the request cpns__req() hands out */
	size_t req_size;	/* its room */
	size_t tx_max;		/* the longest request the socket sends */
	struct cpns_error last;
	uint32_t batch_max;	/* the kernel's batch_max; 0: not asked yet */
};

/*
 * The receive buffer: larger than any message the kernel sends us (a dump
 * part is at most 32 KiB, a reply at most CPNS_MAX_PLAINTEXT and its
 * attributes), so that every message is read whole by one recvmsg().
 */
#define CPNS_RX_SIZE (64 * 1024)

/*
 * A batch's request at most: 64 items of up to 3 KiB each. The socket's
 * send buffer is raised to hold it (the kernel refuses a request longer
 * than the send buffer less 32 bytes, and libnl sets 64 KiB); a kernel
 * whose net.core.wmem_max allows less gets smaller batches (tx_max).
 */
#define CPNS_BATCH_MSG_MAX (192 * 1024)
/*
 * A batch's reply at most: the request and CPNS_BATCH_ITEM_ROOM per item
 * (Documentation/netlink.rst), for a full batch of the default batch_max
 * at the longest request. The receive buffer grows to what a batch's
 * reply may take, and stays so for the handle.
 */
#define CPNS_BATCH_RX_MAX (CPNS_BATCH_MSG_MAX + 64 * CPNS_BATCH_ITEM_ROOM)

struct cpns_msg {
	struct nl_msg *m;
	size_t size;		/* the room of m's buffer */
	bool public;		/* it holds no secret (an OPEN): not wiped */
};

/* Highest attribute type kept in a reply's table; higher ones are skipped
 * (a newer kernel may add some). */
#define CPNS_TB_MAX 127

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
/* Default room of a request: enough for SEAL/OPEN at their limits. */
#define CPNS_MSG_SIZE 65536
/* Make msg an empty request of cmd again (its old content wiped). */
int cpns__msg_reset(struct cpns_msg *msg, uint16_t family, uint8_t cmd,
		    uint16_t flags);
/* Wipe the request msg holds. */
void cpns__msg_wipe(struct cpns_msg *msg);
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
/*
 * A request of cmd with room for size bytes: nl's own buffer, reused, when
 * free and large enough. Give it back with cpns__req_end(), never
 * cpns_msg_free().
 */
struct cpns_msg *cpns__req(struct cpns_nl *nl, uint8_t cmd, size_t size);
void cpns__req_end(struct cpns_nl *nl, struct cpns_msg *msg);
/* cpns_msg_send() with a receive buffer of rx_size bytes at least. */
int cpns__send(struct cpns_nl *nl, struct cpns_msg *msg, size_t rx_size,
	       cpns_reply_fn reply, void *arg);

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
/* The puts into msg (a batch's item): 0 or -EMSGSIZE. */
int cpns__put_all(struct cpns_msg *msg, const struct cpns_put *puts,
		  size_t n);
/* Every want from r (a batch item's reply), all or none: 0 or -EBADMSG. */
int cpns__get_all(const struct cpns_reply *r, const struct cpns_want *wants,
		  size_t n);

#define CPNS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct cpns_keyref;
/* A key type and description to send: both set, each below
 * CPNS_MAX_KEYREF bytes. 0, or -EINVAL with the message set. */
int cpns__check_keyref(struct cpns_nl *nl, const struct cpns_keyref *ref);
/* The same, and a label of at most CPNS_MAX_LABEL bytes. */
int cpns__check_kek_label(struct cpns_nl *nl, const struct cpns_keyref *kek,
			  size_t label_len);

/* The puts of a key reference (absent when ref is NULL): its type and
 * description, NUL-terminated.
 */
#define CPNS_PUT_KEYREF(ref)						\
	{ CPNS_A_KEYREF_TYPE, (ref) ? (ref)->type : NULL,		\
	  (ref) ? strlen((ref)->type) + 1 : 0 },			\
	{ CPNS_A_KEYREF_DESC, (ref) ? (ref)->desc : NULL,		\
	  (ref) ? strlen((ref)->desc) + 1 : 0 }
/* A label's put: absent when empty. */
#define CPNS_PUT_LABEL(label, len)					\
	{ CPNS_A_LABEL, (len) ? (label) : NULL, (len) }

#endif /* CPNS_LIB_INTERNAL_H */
