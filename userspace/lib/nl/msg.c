// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Request building and reply parsing. Building writes whatever it is
 * asked to (tests send malformed requests this way); parsing checks every
 * attribute of a reply against the sizes of include/uapi/linux/cpns.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "internal.h"

/* How a reply attribute must look. */
enum rule_kind {
	R_ANY,		/* unknown or padding: skipped */
	R_EXACT,	/* exactly len bytes */
	R_MAX,		/* at most len bytes */
	R_NEST,		/* attributes of level nest */
};

struct rule {
	uint8_t kind;
	uint8_t nest;
	uint16_t len;
};

#define EXACT(n) { .kind = R_EXACT, .len = (n) }
#define UPTO(n) { .kind = R_MAX, .len = (n) }
#define NEST(l) { .kind = R_NEST, .nest = (l) }

static const struct rule top_rules[] = {
	[CPNS_A_VERSION] = EXACT(4),
	[CPNS_A_KEYRING] = EXACT(4),
	[CPNS_A_KEY_SERIAL] = EXACT(4),
	[CPNS_A_KEY_KIND] = EXACT(1),
	[CPNS_A_ROLE] = EXACT(1),
	[CPNS_A_STATE] = EXACT(1),
	[CPNS_A_EXPIRY] = EXACT(8),
	[CPNS_A_TIMEOUT] = EXACT(4),
	[CPNS_A_SEED_ID] = EXACT(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = EXACT(CPNS_DEVICE_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = EXACT(CPNS_NONCE_LEN),
	[CPNS_A_CHALLENGE] = EXACT(CPNS_CHALLENGE_LEN),
	[CPNS_A_CLIENT_NONCE] = EXACT(CPNS_NONCE_LEN),
	[CPNS_A_SERVER_NONCE] = EXACT(CPNS_NONCE_LEN),
	[CPNS_A_REQUEST_MAC] = EXACT(CPNS_MAC_LEN),
	[CPNS_A_CHALLENGE_MAC] = EXACT(CPNS_MAC_LEN),
	[CPNS_A_CONFIRM] = EXACT(CPNS_MAC_LEN),
	[CPNS_A_CLIENT_MAC] = EXACT(CPNS_MAC_LEN),
	[CPNS_A_SERVER_MAC] = EXACT(CPNS_MAC_LEN),
	[CPNS_A_HANDLE] = EXACT(4),
	[CPNS_A_SEQ] = EXACT(8),
	[CPNS_A_AAD] = UPTO(CPNS_MAX_AAD),
	[CPNS_A_DATA] = UPTO(CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN),
	[CPNS_A_PUBKEY] = EXACT(CPNS_PUBKEY_LEN),
	[CPNS_A_WRAPPED] = EXACT(CPNS_WRAPPED_LEN),
	[CPNS_A_XFER_CODE] = EXACT(4),
	[CPNS_A_PENDING_MAX] = EXACT(4),
	[CPNS_A_PENDING_TIMEOUT] = EXACT(4),
	[CPNS_A_PENDING_COUNT] = EXACT(4),
	[CPNS_A_SESSION_MAX] = EXACT(4),
	[CPNS_A_SESSION_COUNT] = EXACT(4),
	[CPNS_A_STATS] = NEST(CPNS_LEVEL_STATS),
	[CPNS_A_KAT_KEY_SEED] = EXACT(CPNS_SEED_LEN),
	[CPNS_A_KAT_SEED_AUTH_KEY] = EXACT(CPNS_KEY_LEN),
	[CPNS_A_KAT_DEVICE_KEY] = EXACT(CPNS_KEY_LEN),
	[CPNS_A_KAT_SESSION_KEY_C2S] = EXACT(CPNS_KEY_LEN),
	[CPNS_A_KAT_SESSION_KEY_S2C] = EXACT(CPNS_KEY_LEN),
	[CPNS_A_KAT_AEAD] = NEST(CPNS_LEVEL_AEAD),
	[CPNS_A_REPLACES] = EXACT(CPNS_DEVICE_ID_LEN),
	[CPNS_A_KEY_COUNT] = EXACT(4),
	[CPNS_A_SELF_ASSIGNED] = EXACT(0),
	[CPNS_A_BATCH_CMD] = EXACT(1),
	[CPNS_A_ITEM] = NEST(CPNS_LEVEL_TOP),
	[CPNS_A_INDEX] = EXACT(4),
	[CPNS_A_ERRNO] = EXACT(4),
	[CPNS_A_ERROR_MSG] = UPTO(CPNS_BATCH_ITEM_ROOM),
	[CPNS_A_ERROR_ATTR] = EXACT(4),
	[CPNS_A_ERROR_MISSING] = EXACT(4),
	[CPNS_A_BATCH_MAX] = EXACT(4),
	[CPNS_A_RECEIVER_MAC] = EXACT(CPNS_MAC_LEN),
	[CPNS_A_KAT_KIND] = EXACT(1),
	[CPNS_A_KAT_SECRET] = EXACT(CPNS_PUBKEY_LEN),
	[CPNS_A_KAT_PEER_SECRET] = EXACT(CPNS_PUBKEY_LEN),
	[CPNS_A_KAT_KEY] = EXACT(CPNS_KEY_LEN),
	[CPNS_A_KAT_KEK] = UPTO(CPNS_MAX_KAT_KEK),
	[CPNS_A_KAT_SALT] = EXACT(16),
	[CPNS_A_KAT_CREATED] = EXACT(8),
	[CPNS_A_KAT_PEER_CODE] = EXACT(4),
};

static const struct rule aead_rules[] = {
	[CPNS_AEAD_A_DIR] = EXACT(1),
	[CPNS_AEAD_A_SEQ] = EXACT(8),
	[CPNS_AEAD_A_AAD] = UPTO(CPNS_MAX_AAD),
	[CPNS_AEAD_A_DATA] = UPTO(CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN),
};

static const struct rule stats_rules[] = {
	[CPNS_STATS_A_OP] = NEST(CPNS_LEVEL_STATS),
	[CPNS_STATS_A_FAIL] = NEST(CPNS_LEVEL_STATS),
	[CPNS_STATS_A_CMD] = EXACT(1),
	[CPNS_STATS_A_OK] = EXACT(8),
	[CPNS_STATS_A_FAILED] = EXACT(8),
	[CPNS_STATS_A_REASON] = EXACT(1),
	[CPNS_STATS_A_COUNT] = EXACT(8),
};

static const struct rule *rule_of(enum cpns_level level, uint16_t type)
{
	static const struct rule any = { .kind = R_ANY };
	const struct rule *tab;
	size_t n;

	switch (level) {
	case CPNS_LEVEL_AEAD:
		tab = aead_rules;
		n = CPNS_ARRAY_SIZE(aead_rules);
		break;
	case CPNS_LEVEL_STATS:
		tab = stats_rules;
		n = CPNS_ARRAY_SIZE(stats_rules);
		break;
	default:
		tab = top_rules;
		n = CPNS_ARRAY_SIZE(top_rules);
		break;
	}
	return type < n ? &tab[type] : &any;
}

int cpns__nest_level(enum cpns_level level, uint16_t type)
{
	const struct rule *rule = rule_of(level, type);

	return rule->kind == R_NEST ? rule->nest : -1;
}

static const char *type_name(enum cpns_level level, uint16_t type)
{
	return level == CPNS_LEVEL_TOP ? cpns_attr_name(type) : "nested";
}

#define NEST_DEPTH 4

static int walk(struct cpns_reply *r, enum cpns_level level, const void *head,
		size_t len, int depth, char *err, size_t errlen)
{
	const uint8_t *p = head;
	size_t off = 0;

	if (depth > NEST_DEPTH) {
		snprintf(err, errlen, "attributes nested too deep");
		return -EBADMSG;
	}
	while (off < len) {
		const struct nlattr *nla = (const void *)(p + off);
		size_t alen, plen;
		uint16_t type;
		const struct rule *rule;

		if (len - off < NLA_HDRLEN || nla->nla_len < NLA_HDRLEN ||
		    nla->nla_len > len - off) {
			snprintf(err, errlen,
				 "truncated attribute at byte %zu of %zu", off,
				 len);
			return -EBADMSG;
		}
		alen = nla->nla_len;
		plen = alen - NLA_HDRLEN;
		type = nla->nla_type & NLA_TYPE_MASK;
		rule = rule_of(level, type);
		if ((rule->kind == R_EXACT && plen != rule->len) ||
		    (rule->kind == R_MAX && plen > rule->len)) {
			snprintf(err, errlen,
				 "attribute %s (%u) has %zu bytes, expected %s%u",
				 type_name(level, type), type, plen,
				 rule->kind == R_MAX ? "at most " : "",
				 rule->len);
			return -EBADMSG;
		}
		if (rule->kind == R_NEST) {
			int ret = walk(NULL, rule->nest,
				       (const uint8_t *)nla + NLA_HDRLEN, plen,
				       depth + 1, err, errlen);
			if (ret)
				return ret;
		}
		if (r && type <= CPNS_TB_MAX)
			r->tb[type] = nla;
		alen = NLA_ALIGN(alen);
		off += alen < len - off ? alen : len - off;
	}
	return 0;
}

int cpns__parse_attrs(struct cpns_reply *r, enum cpns_level level,
		      const void *head, size_t len, char *err, size_t errlen)
{
	char dummy[1];

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	memset(r->tb, 0, sizeof(r->tb));
	r->level = level;
	r->head = head;
	r->len = len;
	return walk(r, level, head, len, 0, err, errlen);
}

int cpns__parse_msg(struct cpns_reply *r, const void *buf, size_t len,
		    char *err, size_t errlen)
{
	const struct nlmsghdr *nlh = buf;
	const struct genlmsghdr *gh;
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;

	if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < hdr) {
		if (err)
			snprintf(err, errlen, "truncated message");
		return -EBADMSG;
	}
	gh = (const void *)((const uint8_t *)buf + NLMSG_HDRLEN);
	r->nlh = nlh;
	r->cmd = gh->cmd;
	return cpns__parse_attrs(r, CPNS_LEVEL_TOP, (const uint8_t *)buf + hdr,
				 nlh->nlmsg_len - hdr, err, errlen);
}

int cpns_reply_parse(const void *buf, size_t len, struct cpns_reply **out,
		     char *err, size_t errlen)
{
	struct cpns_reply *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	ret = cpns__parse_msg(r, buf, len, err, errlen);
	if (ret) {
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

void cpns_reply_free(struct cpns_reply *r)
{
	free(r);
}

uint8_t cpns_reply_cmd(const struct cpns_reply *r)
{
	return r->cmd;
}

const struct nlmsghdr *cpns_reply_nlh(const struct cpns_reply *r)
{
	return r->nlh;
}

bool cpns_reply_has(const struct cpns_reply *r, uint16_t type)
{
	return type <= CPNS_TB_MAX && r->tb[type];
}

const void *cpns_reply_get(const struct cpns_reply *r, uint16_t type,
			   size_t *len)
{
	const struct nlattr *nla;

	if (!cpns_reply_has(r, type))
		return NULL;
	nla = r->tb[type];
	if (len)
		*len = nla->nla_len - NLA_HDRLEN;
	return (const uint8_t *)nla + NLA_HDRLEN;
}

int cpns_reply_copy(const struct cpns_reply *r, uint16_t type, void *out,
		    size_t len)
{
	size_t have;
	const void *p = cpns_reply_get(r, type, &have);

	if (!p)
		return -ENODATA;
	if (have != len)
		return -EBADMSG;
	memcpy(out, p, len);
	return 0;
}

int cpns_reply_u8(const struct cpns_reply *r, uint16_t type, uint8_t *v)
{
	return cpns_reply_copy(r, type, v, sizeof(*v));
}

int cpns_reply_u32(const struct cpns_reply *r, uint16_t type, uint32_t *v)
{
	return cpns_reply_copy(r, type, v, sizeof(*v));
}

int cpns_reply_s32(const struct cpns_reply *r, uint16_t type, int32_t *v)
{
	return cpns_reply_copy(r, type, v, sizeof(*v));
}

int cpns_reply_u64(const struct cpns_reply *r, uint16_t type, uint64_t *v)
{
	return cpns_reply_copy(r, type, v, sizeof(*v));
}

/* NULL again the entries of r's table that its attributes set. */
static void unset_attrs(struct cpns_reply *r)
{
	const uint8_t *p = (const uint8_t *)r->head;
	size_t off = 0, alen;

	while (off + NLA_HDRLEN <= r->len) {
		const struct nlattr *nla = (const void *)(p + off);
		uint16_t type = nla->nla_type & NLA_TYPE_MASK;

		alen = nla->nla_len;
		if (alen < NLA_HDRLEN || alen > r->len - off)
			return;
		if (type <= CPNS_TB_MAX)
			r->tb[type] = NULL;
		alen = NLA_ALIGN(alen);
		off += alen < r->len - off ? alen : r->len - off;
	}
}

int cpns_reply_foreach(const struct cpns_reply *r, uint16_t type,
		       cpns_reply_fn fn, void *arg)
{
	const uint8_t *p = (const uint8_t *)r->head;
	int level = cpns__nest_level(r->level, type);
	/*
	 * One table for every nest, cleared once: after each, only the
	 * entries it set are cleared (a batch's reply has many nests of a
	 * few attributes each).
	 */
	struct cpns_reply sub = { .nlh = r->nlh, .cmd = r->cmd };
	size_t off = 0;
	int ret = 0;
	char dummy[1];

	if (level < 0)
		return -EINVAL;
	sub.level = (enum cpns_level)level;
	while (!ret && off + NLA_HDRLEN <= r->len) {
		const struct nlattr *nla = (const void *)(p + off);
		size_t alen = nla->nla_len;

		if (alen < NLA_HDRLEN || alen > r->len - off)
			return -EBADMSG;
		if ((nla->nla_type & NLA_TYPE_MASK) == type) {
			sub.head = (const void *)((const uint8_t *)nla +
						  NLA_HDRLEN);
			sub.len = alen - NLA_HDRLEN;
			ret = walk(&sub, sub.level, sub.head, sub.len, 0, dummy,
				   sizeof(dummy));
			if (!ret)
				ret = fn(&sub, arg);
			unset_attrs(&sub);
		}
		off += NLA_ALIGN(alen);
	}
	return ret;
}

/* --------------------------------------------------------- building */

static int put_err(int nlerr)
{
	return nlerr ? -EMSGSIZE : 0;
}

struct cpns_msg *cpns_msg_new_size(uint16_t family, uint8_t cmd,
				   uint16_t flags, size_t size)
{
	struct cpns_msg *msg = calloc(1, sizeof(*msg));

	if (!msg)
		return NULL;
	if (size < NLMSG_HDRLEN + GENL_HDRLEN)
		size = NLMSG_HDRLEN + GENL_HDRLEN;
	msg->m = nlmsg_alloc_size(size);
	if (!msg->m)
		goto err_free;
	msg->size = size;
	if (!genlmsg_put(msg->m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 NLM_F_REQUEST | flags, cmd, CPNS_GENL_VERSION))
		goto err_msg;
	return msg;

err_msg:
	nlmsg_free(msg->m);
err_free:
	free(msg);
	return NULL;
}

struct cpns_msg *cpns_msg_new(uint16_t family, uint8_t cmd, uint16_t flags)
{
	return cpns_msg_new_size(family, cmd, flags, CPNS_MSG_SIZE);
}

void cpns__msg_wipe(struct cpns_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg->m);

	if (!msg->public)
		explicit_bzero(nlh, nlh->nlmsg_len);
}

int cpns__msg_reset(struct cpns_msg *msg, uint16_t family, uint8_t cmd,
		    uint16_t flags)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg->m);

	cpns__msg_wipe(msg);
	msg->public = false;
	nlh->nlmsg_len = NLMSG_HDRLEN;
	if (!genlmsg_put(msg->m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 NLM_F_REQUEST | flags, cmd, CPNS_GENL_VERSION))
		return -EMSGSIZE;
	return 0;
}

void cpns_msg_free(struct cpns_msg *msg)
{
	struct nlmsghdr *nlh;

	if (!msg)
		return;
	nlh = nlmsg_hdr(msg->m);
	if (!msg->public)
		explicit_bzero(nlh, nlh->nlmsg_len);
	nlmsg_free(msg->m);
	free(msg);
}

/*
 * What libnl's nla_put() does (the attribute at the message's aligned
 * tail, its padding zeroed), without its calls: a batch puts hundreds.
 */
int cpns_msg_put(struct cpns_msg *msg, uint16_t type, const void *data,
		 size_t len)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg->m);
	size_t off = NLMSG_ALIGN(nlh->nlmsg_len);
	size_t alen = NLA_HDRLEN + len;
	struct nlattr *nla;

	if (len > UINT16_MAX - NLA_HDRLEN || off > msg->size ||
	    NLA_ALIGN(alen) > msg->size - off)
		return -EMSGSIZE;
	nla = (struct nlattr *)((uint8_t *)nlh + off);
	nla->nla_type = type;
	nla->nla_len = (uint16_t)alen;
	if (len)
		memcpy((uint8_t *)nla + NLA_HDRLEN, data, len);
	memset((uint8_t *)nla + alen, 0, NLA_ALIGN(alen) - alen);
	nlh->nlmsg_len = (uint32_t)(off + NLA_ALIGN(alen));
	return 0;
}

int cpns_msg_put_u8(struct cpns_msg *msg, uint16_t type, uint8_t v)
{
	return cpns_msg_put(msg, type, &v, sizeof(v));
}

int cpns_msg_put_u32(struct cpns_msg *msg, uint16_t type, uint32_t v)
{
	return cpns_msg_put(msg, type, &v, sizeof(v));
}

int cpns_msg_put_s32(struct cpns_msg *msg, uint16_t type, int32_t v)
{
	return cpns_msg_put(msg, type, &v, sizeof(v));
}

int cpns_msg_put_u64(struct cpns_msg *msg, uint16_t type, uint64_t v)
{
	return cpns_msg_put(msg, type, &v, sizeof(v));
}

struct nlattr *cpns_msg_nest_start(struct cpns_msg *msg, uint16_t type)
{
	struct nlattr *start = nlmsg_tail(nlmsg_hdr(msg->m));

	/* The kernel's strict validation wants NLA_F_NESTED on nests. */
	if (nla_put(msg->m, type | NLA_F_NESTED, 0, NULL))
		return NULL;
	return start;
}

int cpns_msg_nest_end(struct cpns_msg *msg, struct nlattr *nest)
{
	uint8_t *tail = (uint8_t *)nlmsg_tail(nlmsg_hdr(msg->m));
	size_t len = (size_t)(tail - (uint8_t *)nest);

	if (len > UINT16_MAX)
		return -EMSGSIZE;
	nest->nla_len = (uint16_t)len;
	return 0;
}

int cpns_msg_append(struct cpns_msg *msg, const void *data, size_t len)
{
	return put_err(nlmsg_append(msg->m, (void *)data, len, NLMSG_ALIGNTO));
}

const void *cpns_msg_data(const struct cpns_msg *msg, size_t *len)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg->m);

	if (len)
		*len = nlh->nlmsg_len;
	return nlh;
}
