// SPDX-License-Identifier: GPL-2.0
/*
 * What nlfuzz sends: requests generated from each command's policy (as the
 * kernel dumped it) with values seen in earlier replies (the pool), and the
 * mutations that make them wrong in every way the netlink layer and the
 * module must refuse.
 */
#include <stdlib.h>
#include <string.h>
#include "nlfuzz.h"

/* ------------------------------------------------------------ pool */

#define NF_POOL_DEPTH	24
#define NF_POOL_MAXLEN	(CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN)

struct nf_pool_slot {
	int n, next;
	uint16_t len[NF_POOL_DEPTH];
	uint8_t *v[NF_POOL_DEPTH];
};

static struct {
	pthread_mutex_t lock;
	struct nf_pool_slot t[NF_MAX_ATTR];
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const keyref_types[] = {
	"user", "logon", "encrypted", "trusted", "asymmetric", "keyring",
	"cpns_seed", "cpns_device", "", "user\n",
};

static const char *const keyref_descs[] = {
	"nlfuzz:kek", "nlfuzz:pair", "nlfuzz:none", ".cpns", "", "%s%s%n",
};

void nf_pool_init(void)
{
	for (size_t i = 0; i < sizeof(keyref_types) / sizeof(*keyref_types);
	     i++)
		nf_pool_add(CPNS_A_KEYREF_TYPE, keyref_types[i],
			    strlen(keyref_types[i]) + 1);
	for (size_t i = 0; i < sizeof(keyref_descs) / sizeof(*keyref_descs);
	     i++)
		nf_pool_add(CPNS_A_KEYREF_DESC, keyref_descs[i],
			    strlen(keyref_descs[i]) + 1);
}

void nf_pool_add(uint16_t type, const void *data, size_t len)
{
	struct nf_pool_slot *s;
	uint8_t *copy;

	if (type >= NF_MAX_ATTR || len > NF_POOL_MAXLEN)
		return;
	copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, data, len);
	pthread_mutex_lock(&pool.lock);
	s = &pool.t[type];
	free(s->v[s->next]);
	s->v[s->next] = copy;
	s->len[s->next] = (uint16_t)len;
	s->next = (s->next + 1) % NF_POOL_DEPTH;
	if (s->n < NF_POOL_DEPTH)
		s->n++;
	pthread_mutex_unlock(&pool.lock);
}

int nf_pool_get(struct nf_rng *r, uint16_t type, void *buf, size_t cap)
{
	struct nf_pool_slot *s;
	int len = -1, i;

	if (type >= NF_MAX_ATTR)
		return -1;
	pthread_mutex_lock(&pool.lock);
	s = &pool.t[type];
	if (s->n) {
		/* the newest half of the time: the live flows' values */
		if (nf_pct(r, 50))
			i = (s->next + NF_POOL_DEPTH - 1) % NF_POOL_DEPTH;
		else
			i = (int)nf_below(r, (uint32_t)s->n);
		len = s->len[i] < cap ? s->len[i] : (int)cap;
		memcpy(buf, s->v[i], (size_t)len);
	}
	pthread_mutex_unlock(&pool.lock);
	return len;
}

void nf_pool_harvest(const struct nlmsghdr *nh, void *arg)
{
	struct nf_attr as[64];
	int n = nf_parse_reply(nh, as, 64);

	(void)arg;
	for (int i = 0; i < n; i++)
		if (as[i].type != CPNS_A_STATS)
			nf_pool_add(as[i].type, as[i].data, as[i].len);
}

/* ------------------------------------------------------------ values */

static size_t int_size(uint8_t type)
{
	switch (type) {
	case NL_ATTR_TYPE_U8:
	case NL_ATTR_TYPE_S8:
		return 1;
	case NL_ATTR_TYPE_U16:
	case NL_ATTR_TYPE_S16:
		return 2;
	case NL_ATTR_TYPE_U32:
	case NL_ATTR_TYPE_S32:
		return 4;
	case NL_ATTR_TYPE_U64:
	case NL_ATTR_TYPE_S64:
		return 8;
	}
	return 0;
}

/* A value for attribute t of policy entry pa in buf; its length. */
static size_t gen_value(struct nf_rng *rng, uint16_t t,
			const struct nf_pattr *pa, uint8_t *buf, size_t cap,
			bool sloppy)
{
	size_t isz = int_size(pa->type), len;
	int got;

	if (isz) {
		uint64_t v;

		got = nf_pool_get(rng, t, buf, cap);
		if (got == (int)isz && nf_pct(rng, 70))
			return isz;
		switch (nf_below(rng, 6)) {
		case 0:
			v = pa->has_range ? pa->min_val : 0;
			break;
		case 1:
			v = pa->has_range ? pa->max_val : ~0ULL;
			break;
		case 2:
			v = pa->has_range ? pa->min_val - 1 : 1;
			break;
		case 3:
			v = pa->has_range ? pa->max_val + 1 : 0x7fffffff;
			break;
		default:
			v = nf_rand(rng);
			if (pa->has_range && pa->max_val > pa->min_val &&
			    pa->max_val - pa->min_val < ~0ULL && nf_pct(rng, 70))
				v = pa->min_val + v % (pa->max_val - pa->min_val + 1);
			else if (nf_pct(rng, 50))
				v %= 8;
			break;
		}
		memcpy(buf, &v, isz);
		if (sloppy && nf_pct(rng, 15))
			return nf_below(rng, 9);	/* wrong size */
		return isz;
	}
	switch (pa->type) {
	case NL_ATTR_TYPE_FLAG:
		return sloppy && nf_pct(rng, 20) ? 1 + nf_below(rng, 4) : 0;
	case NL_ATTR_TYPE_STRING:
	case NL_ATTR_TYPE_NUL_STRING:
		got = nf_pool_get(rng, t, buf, cap);
		if (got >= 0 && nf_pct(rng, 80)) {
			len = (size_t)got;
		} else {
			len = nf_below(rng, pa->has_len ? pa->max_len + 2 : 40);
			if (len > cap)
				len = cap;
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)(0x20 + nf_below(rng, 95));
			if (len && nf_pct(rng, 70))
				buf[len - 1] = 0;
		}
		if (sloppy && nf_pct(rng, 20) && len)
			len--;	/* drops the NUL */
		return len;
	default:	/* binary, and whatever a new policy type is */
		got = nf_pool_get(rng, t, buf, cap);
		if (got >= 0 && nf_pct(rng, 75) &&
		    (!pa->has_len || ((uint32_t)got >= pa->min_len &&
				      (uint32_t)got <= pa->max_len)))
			return (size_t)got;
		if (pa->has_len && pa->min_len == pa->max_len)
			len = pa->min_len;
		else if (pa->has_len)
			len = pa->min_len + nf_below(rng, (pa->max_len - pa->min_len > 256 ?
						     256 : pa->max_len - pa->min_len) + 1);
		else
			len = nf_below(rng, 64);
		if (pa->has_len && nf_pct(rng, 3))
			len = pa->max_len;
		if (sloppy && nf_pct(rng, 15))
			len = len + nf_below(rng, 3) - 1 + (nf_pct(rng, 20) ? 64 : 0);
		if (len > cap)
			len = cap;
		nf_fill(rng, buf, len);
		return len;
	}
}

static void gen_policy(struct nf_rng *rng, struct nf_req *r, int pol,
		       int depth, bool sloppy, bool top);

static void gen_attr(struct nf_rng *rng, struct nf_req *r, int pol,
		     uint16_t t, int depth, bool sloppy)
{
	const struct nf_pattr *pa = &nf_fam.pol[pol].a[t];
	static __thread uint8_t val[NF_POOL_MAXLEN + 64];
	size_t len, off;

	if ((pa->type == NL_ATTR_TYPE_NESTED ||
	     pa->type == NL_ATTR_TYPE_NESTED_ARRAY) && pa->nested >= 0 &&
	    pa->nested < NF_MAX_POL && depth < 4) {
		bool flag = !(sloppy && nf_pct(rng, 15));

		off = nf_nest_start(&r->b, t | (flag ? NLA_F_NESTED : 0));
		if (pa->type == NL_ATTR_TYPE_NESTED_ARRAY)
			for (int i = 1 + nf_below(rng, 3); i; i--) {
				size_t o2 = nf_nest_start(&r->b, (uint16_t)i |
							  NLA_F_NESTED);

				gen_policy(rng, r, pa->nested, depth + 1,
					   sloppy, false);
				nf_nest_end(&r->b, o2);
			}
		else
			gen_policy(rng, r, pa->nested, depth + 1, sloppy, false);
		nf_nest_end(&r->b, off);
		return;
	}
	len = gen_value(rng, t, pa, val, sizeof(val) - 64, sloppy);
	if (len > 65535 - NLA_HDRLEN)
		len = 65535 - NLA_HDRLEN;
	nf_put_attr(&r->b, (uint16_t)(t | (sloppy && nf_pct(rng, 3) ?
					     NLA_F_NESTED : 0)),
		    val, len, -1);
}

static void gen_policy(struct nf_rng *rng, struct nf_req *r, int pol,
		       int depth, bool sloppy, bool top)
{
	uint16_t order[NF_MAX_ATTR];
	int n = 0;

	if (pol < 0 || pol >= NF_MAX_POL || !nf_fam.pol[pol].present)
		return;
	for (int t = 1; t < NF_MAX_ATTR; t++) {
		const struct nf_pattr *pa = &nf_fam.pol[pol].a[t];
		bool req = top && nf_fam.cmd[r->cmd].required[t];
		int reps = 1;

		if (!pa->present || !nf_pct(rng, req ? 95 : 75))
			continue;
		/* a nest may repeat (a list of entries) */
		if (pa->type == NL_ATTR_TYPE_NESTED && nf_pct(rng, 30))
			reps = nf_pct(rng, 10) ? 17 : 1 + (int)nf_below(rng, 3);
		while (reps-- && n < NF_MAX_ATTR)
			order[n++] = (uint16_t)t;
	}
	/* Order means nothing to the kernel: any order must do. */
	for (int i = n - 1; i > 0; i--) {
		int j = (int)nf_below(rng, (uint32_t)i + 1);
		uint16_t x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (int i = 0; i < n; i++)
		gen_attr(rng, r, pol, order[i], depth, sloppy);
}

uint8_t nf_pick_cmd(struct nf_rng *rng)
{
	if (!nf_fam.ncmd || nf_pct(rng, 2))
		return (uint8_t)nf_below(rng, 256);
	return nf_fam.cmds[nf_below(rng, (uint32_t)nf_fam.ncmd)];
}

void nf_gen(struct nf_rng *rng, struct nf_req *r, uint8_t cmd, int mutate)
{
	const struct nf_cmd *c = &nf_fam.cmd[cmd];
	uint16_t flags = NLM_F_REQUEST;

	if (nf_pct(rng, 90))
		flags |= NLM_F_ACK;
	if (c->dumpit && !c->doit)
		flags |= nf_pct(rng, 95) ? NLM_F_DUMP : 0;
	nf_req_begin(r, nf_fam.id, cmd, flags);
	if (!c->known)
		r->header_ok = false;
	if (c->known)
		gen_policy(rng, r, c->pol, 0, mutate > 0, true);
	nf_req_end(r);
	if (mutate)
		nf_mutate(rng, r, mutate);
}

/* ------------------------------------------------------------ mutations */

#define HDRS (NLMSG_HDRLEN + GENL_HDRLEN)

/* Offsets of the top-level attributes of r (as far as they parse). */
static int top_attrs(const struct nf_req *r, size_t *off, int max)
{
	size_t pos = HDRS;
	int n = 0;

	while (n < max && pos + NLA_HDRLEN <= r->b.len) {
		const struct nlattr *nla = (const void *)(r->b.p + pos);

		if (nla->nla_len < NLA_HDRLEN || pos + nla->nla_len > r->b.len)
			break;
		off[n++] = pos;
		pos += NLA_ALIGN(nla->nla_len);
	}
	return n;
}

static void cut(struct nf_req *r, size_t off, size_t len)
{
	if (off + len > r->b.len)
		len = r->b.len - off;
	memmove(r->b.p + off, r->b.p + off + len, r->b.len - off - len);
	r->b.len -= len;
}

/* An attribute type the command does not take, or no one knows. */
static uint16_t foreign_type(struct nf_rng *rng, uint8_t cmd)
{
	const struct nf_cmd *c = &nf_fam.cmd[cmd];

	switch (nf_below(rng, 4)) {
	case 0:
		return 0;	/* UNSPEC */
	case 1:
		return (uint16_t)(nf_fam.max_attr + 1 + nf_below(rng, 4));
	case 2:
		return (uint16_t)nf_below(rng, 0x4000);
	default:
		for (int i = 0; i < 8; i++) {
			uint16_t t = (uint16_t)(1 + nf_below(rng,
				(uint32_t)nf_fam.max_attr));

			if (!c->known || c->pol < 0 ||
			    !nf_fam.pol[c->pol].a[t].present)
				return t;
		}
		return CPNS_A_STATS;
	}
}

void nf_mutate(struct nf_rng *rng, struct nf_req *r, int n)
{
	struct nlmsghdr *nh;
	struct genlmsghdr *gh;
	size_t off[64];
	uint8_t junk[96];
	bool honest = true;

	while (n-- > 0) {
		int na = top_attrs(r, off, 64);
		size_t at = na ? off[nf_below(rng, (uint32_t)na)] : 0;
		struct nlattr *nla = at ? (struct nlattr *)(r->b.p + at) : NULL;

		nh = (struct nlmsghdr *)r->b.p;
		gh = NLMSG_DATA(nh);
		switch (nf_below(rng, 20)) {
		case 0:	/* a wrong value: flip bits of one payload */
		case 1:
			if (nla && nla->nla_len > NLA_HDRLEN) {
				size_t i = NLA_HDRLEN +
					nf_below(rng, nla->nla_len - NLA_HDRLEN);

				r->b.p[at + i] ^= (uint8_t)(1 + nf_below(rng, 255));
			}
			break;
		case 2:	/* missing */
			if (nla)
				cut(r, at, NLA_ALIGN(nla->nla_len));
			break;
		case 3:	/* duplicated */
			if (nla) {
				uint16_t l = nla->nla_len;

				memcpy(junk, nla, l < sizeof(junk) ? l : sizeof(junk));
				if (l <= sizeof(junk))
					nf_buf_put(&r->b, junk, NLA_ALIGN(l));
			}
			break;
		case 4:	/* truncated or grown: the length field lies */
			if (nla) {
				int d = (int)nf_below(rng, 9) - 4;

				nla->nla_len = (uint16_t)(nla->nla_len + d);
			}
			break;
		case 5:	/* truncated for real: payload one shorter or longer */
			if (nla && nla->nla_len > NLA_HDRLEN) {
				uint16_t l = nla->nla_len - NLA_HDRLEN;
				uint16_t t = nla->nla_type;
				uint8_t *copy = malloc(l + 1u);

				if (!copy)
					break;
				memcpy(copy, r->b.p + at + NLA_HDRLEN, l);
				copy[l] = 0;
				cut(r, at, NLA_ALIGN(nla->nla_len));
				nf_put_attr(&r->b, t, copy,
					    nf_pct(rng, 50) ? l - 1u : l + 1u, -1);
				free(copy);
			}
			break;
		case 6:	/* oversized */
		{
			size_t l = nf_pct(rng, 50) ? 65000 : 64 + nf_below(rng, 20000);
			uint16_t t = nla ? nla->nla_type : foreign_type(rng, r->cmd);

			if (l > r->b.cap - r->b.len - 8)
				break;
			nf_put_attr(&r->b, t, NULL, l, -1);
			nf_fill(rng, r->b.p + r->b.len - NLA_ALIGN(l),
				l > 64 ? 64 : l);
			break;
		}
		case 7:	/* unknown or foreign attribute */
			nf_fill(rng, junk, sizeof(junk));
			nf_put_attr(&r->b, foreign_type(rng, r->cmd), junk,
				    nf_below(rng, 40), -1);
			break;
		case 8:	/* random nesting: wrap one in a nest */
			if (nla) {
				uint16_t l = nla->nla_len;
				uint8_t *copy = calloc(1, NLA_ALIGN(l));
				size_t o;

				if (!copy)
					break;
				memcpy(copy, nla, l);
				cut(r, at, NLA_ALIGN(l));
				o = nf_nest_start(&r->b, (uint16_t)((nf_pct(rng, 50) ?
					copy[2] : nf_below(rng, 64)) |
					(nf_pct(rng, 70) ? NLA_F_NESTED : 0)));
				nf_buf_put(&r->b, copy, NLA_ALIGN(l));
				nf_nest_end(&r->b, o);
				free(copy);
			}
			break;
		case 9:	/* deep nesting */
		{
			size_t o[40];
			int d = 2 + (int)nf_below(rng, 38);

			for (int i = 0; i < d; i++)
				o[i] = nf_nest_start(&r->b, (uint16_t)(nf_below(rng, 64) |
								 NLA_F_NESTED));
			for (int i = d - 1; i >= 0; i--)
				nf_nest_end(&r->b, o[i]);
			break;
		}
		case 10: /* flag bits on an attribute type */
			if (nla)
				nla->nla_type ^= nf_pct(rng, 50) ? NLA_F_NESTED :
						 NLA_F_NET_BYTEORDER;
			break;
		case 11: /* trailing bytes after the last attribute */
			nf_fill(rng, junk, 8);
			nf_buf_put(&r->b, junk, 1 + nf_below(rng, 7));
			break;
		case 12: /* nlmsg_len lies */
			switch (nf_below(rng, 4)) {
			case 0:
				nh->nlmsg_len = nf_below(rng, HDRS + 1);
				break;
			case 1:
				nh->nlmsg_len = (uint32_t)(r->b.len + 1 +
							   nf_below(rng, 64));
				break;
			case 2:
				nh->nlmsg_len = (uint32_t)(HDRS +
					nf_below(rng, (uint32_t)(r->b.len - HDRS + 1)));
				break;
			default:
				nh->nlmsg_len = 0xffffffff;
			}
			honest = false;
			n = 0;	/* later mutations must not fix it */
			break;
		case 13: /* nlmsg_type */
		{
			static const uint16_t types[] = {
				0, NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, 0xf,
				0xffff, GENL_ID_CTRL,
			};

			nh->nlmsg_type = types[nf_below(rng, sizeof(types) /
							sizeof(types[0]))];
			r->header_ok = false;
			break;
		}
		case 14: /* nlmsg_flags */
			switch (nf_below(rng, 5)) {
			case 0:
				nh->nlmsg_flags &= ~NLM_F_REQUEST;
				break;
			case 1:
				nh->nlmsg_flags ^= NLM_F_DUMP;
				break;
			case 2:
				nh->nlmsg_flags ^= NLM_F_ACK;
				break;
			case 3:
				nh->nlmsg_flags |= NLM_F_ECHO;
				break;
			default:
				nh->nlmsg_flags = (uint16_t)nf_rand(rng);
			}
			/* dump/doit mix-ups and reserved bits: the genl
			 * layer refuses them before the command is seen */
			if (!(nh->nlmsg_flags & NLM_F_REQUEST) ||
			    (nh->nlmsg_flags & ~(NLM_F_REQUEST | NLM_F_ACK |
						 NLM_F_ECHO | NLM_F_DUMP)) ||
			    ((nh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) !=
			    (nf_fam.cmd[r->cmd].dumpit && !nf_fam.cmd[r->cmd].doit))
				r->header_ok = false;
			break;
		case 15: /* genl header: command, version, reserved */
			switch (nf_below(rng, 3)) {
			case 0:
				gh->cmd = (uint8_t)nf_rand(rng);
				r->cmd = gh->cmd;
				if (!nf_fam.cmd[gh->cmd].known)
					r->header_ok = false;
				break;
			case 1:
				gh->version = (uint8_t)nf_rand(rng);
				break;
			default:
				gh->reserved = (uint16_t)(1 + nf_below(rng, 0xfffe));
				r->header_ok = false;
			}
			break;
		case 16: /* a second message in the same send */
		{
			size_t l = r->b.len;

			if (l * 2 <= r->b.cap && l >= HDRS) {
				nh->nlmsg_len = (uint32_t)l;
				honest = false;
				nf_buf_put(&r->b, r->b.p, l);
				if (l > HDRS && nf_pct(rng, 50))
					r->b.p[l + HDRS + nf_below(rng,
						(uint32_t)(l - HDRS))] ^= 0x5a;
			}
			n = 0;
			break;
		}
		case 17: /* the send itself cut short */
			r->b.len = nf_below(rng, (uint32_t)r->b.len + 1);
			honest = false;
			n = 0;
			break;
		default: /* a random byte anywhere after the headers */
			if (r->b.len > HDRS)
				r->b.p[HDRS + nf_below(rng, (uint32_t)(r->b.len - HDRS))] =
					(uint8_t)nf_rand(rng);
			break;
		}
		/* keep nlmsg_len honest unless a mutation made it lie */
		if (r->b.len >= sizeof(*nh) && honest)
			nh->nlmsg_len = (uint32_t)r->b.len;
	}
	/* nf_xfer() judges the headers as sent (nf_req_check()) */
}
