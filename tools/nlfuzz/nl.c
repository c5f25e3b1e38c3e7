// SPDX-License-Identifier: GPL-2.0
/*
 * Raw Generic Netlink for nlfuzz: a message builder that builds anything
 * (malformed on purpose), a reader of answers with their extended ACKs, and
 * the family's commands and policies from CTRL_CMD_GETPOLICY.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "cpns.h"
#include "nlfuzz.h"

struct nf_family nf_fam;

/* ------------------------------------------------------------ random */

void nf_rng_seed(struct nf_rng *r, uint64_t seed, uint64_t stream)
{
	/* splitmix64 of (seed, stream): independent streams per thread */
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	r->s = (z ^ (z >> 31)) | 1;
}

uint64_t nf_rand(struct nf_rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

uint32_t nf_below(struct nf_rng *r, uint32_t n)
{
	return n ? (uint32_t)((nf_rand(r) >> 32) % n) : 0;
}

bool nf_pct(struct nf_rng *r, unsigned int pct)
{
	return nf_below(r, 100) < pct;
}

void nf_fill(struct nf_rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t v = nf_rand(r);
		size_t n = len < 8 ? len : 8;

		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
}

/* ------------------------------------------------------------ builder */

void nf_buf_init(struct nf_buf *b, size_t cap)
{
	b->p = calloc(1, cap);
	if (!b->p) {
		perror("nlfuzz: calloc");
		exit(1);
	}
	b->len = 0;
	b->cap = cap;
}

void nf_buf_free(struct nf_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void *nf_buf_put(struct nf_buf *b, const void *data, size_t len)
{
	void *at;

	if (b->len + len > b->cap)
		len = b->cap - b->len;	/* the builder truncates, never grows */
	at = b->p + b->len;
	if (data)
		memcpy(at, data, len);
	else
		memset(at, 0, len);
	b->len += len;
	return at;
}

void nf_put_attr(struct nf_buf *b, uint16_t type, const void *data,
		 size_t len, int hdr_len)
{
	struct nlattr nla;
	size_t pad = NLA_ALIGN(len) - len;

	nla.nla_type = type;
	nla.nla_len = hdr_len >= 0 ? (uint16_t)hdr_len :
		      (uint16_t)(NLA_HDRLEN + len);
	nf_buf_put(b, &nla, sizeof(nla));
	nf_buf_put(b, data, len);
	nf_buf_put(b, NULL, pad);
}

size_t nf_nest_start(struct nf_buf *b, uint16_t type)
{
	size_t off = b->len;

	nf_put_attr(b, type, NULL, 0, -1);
	return off;
}

void nf_nest_end(struct nf_buf *b, size_t off)
{
	/* after a mutation's odd bytes the nest may be unaligned */
	uint16_t len = (uint16_t)(b->len - off);

	if (off + NLA_HDRLEN <= b->len)
		memcpy(b->p + off + offsetof(struct nlattr, nla_len), &len,
		       sizeof(len));
}

void nf_req_begin(struct nf_req *r, uint16_t family, uint8_t cmd,
		  uint16_t flags)
{
	struct nlmsghdr nh = {
		.nlmsg_type = family,
		.nlmsg_flags = flags,
	};
	struct genlmsghdr gh = {
		.cmd = cmd,
		.version = CPNS_GENL_VERSION,
	};

	if (!r->b.p)
		nf_buf_init(&r->b, NF_MAX_MSG);
	r->b.len = 0;
	r->cmd = cmd;
	r->dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
	r->ack = flags & NLM_F_ACK;
	r->header_ok = true;
	nf_buf_put(&r->b, &nh, sizeof(nh));
	nf_buf_put(&r->b, &gh, sizeof(gh));
}

void nf_req_end(struct nf_req *r)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)r->b.p;

	nh->nlmsg_len = (uint32_t)r->b.len;
}

/* ------------------------------------------------------------ parser */

bool nf_attr_next(const uint8_t **p, size_t *len, struct nf_attr *a)
{
	struct nlattr nla;

	if (*len < NLA_HDRLEN)
		return false;
	memcpy(&nla, *p, sizeof(nla));
	if (nla.nla_len < NLA_HDRLEN || nla.nla_len > *len)
		return false;
	a->type = nla.nla_type & NLA_TYPE_MASK;
	a->len = nla.nla_len - NLA_HDRLEN;
	a->data = *p + NLA_HDRLEN;
	if ((size_t)NLA_ALIGN(nla.nla_len) >= *len) {
		*p += *len;
		*len = 0;
	} else {
		*p += NLA_ALIGN(nla.nla_len);
		*len -= NLA_ALIGN(nla.nla_len);
	}
	return true;
}

int nf_parse_reply(const struct nlmsghdr *nh, struct nf_attr *as, int max)
{
	const uint8_t *p = (const uint8_t *)NLMSG_DATA(nh) + GENL_HDRLEN;
	size_t len;
	int n = 0;

	if (nh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return 0;
	len = nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	while (n < max && nf_attr_next(&p, &len, &as[n]))
		n++;
	return n;
}

const struct nf_attr *nf_find(const struct nf_attr *as, int n, int type)
{
	for (int i = 0; i < n; i++)
		if (as[i].type == type)
			return &as[i];
	return NULL;
}

/* ------------------------------------------------------------ sockets */

int nf_sock_open(struct nf_sock *s, bool force_bufs)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, size = NF_RCVBUF, sndsize = 2 * NF_MAX_MSG;

	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(s->fd);
		s->fd = -1;
		return err;
	}
	setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (!force_bufs ||
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (!force_bufs ||
	    setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndsize,
		       sizeof(sndsize)))
		setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndsize,
			   sizeof(sndsize));
	s->seq = 1;
	if (!s->rbuf) {
		s->rcap = 512 * 1024;	/* a reply is at most a request's size */
		s->rbuf = malloc(s->rcap);
		if (!s->rbuf) {
			close(s->fd);
			s->fd = -1;
			return -ENOMEM;
		}
	}
	return 0;
}

void nf_sock_close(struct nf_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void nf_parse_ack(const struct nlmsghdr *nh, struct nf_answer *a)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	const uint8_t *p;
	struct nf_attr at;
	size_t len, skip;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return;
	if (e->error) {
		a->error = true;
		a->err = -e->error;
	} else {
		a->acked = true;
	}
	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	skip = sizeof(*e);
	if (!(nh->nlmsg_flags & NLM_F_CAPPED))
		skip += e->msg.nlmsg_len - sizeof(e->msg);
	skip = NLMSG_ALIGN(skip);
	if (NLMSG_LENGTH(skip) > nh->nlmsg_len)
		return;
	p = (const uint8_t *)NLMSG_DATA(nh) + skip;
	len = nh->nlmsg_len - NLMSG_LENGTH(skip);
	while (nf_attr_next(&p, &len, &at)) {
		if (at.type == NLMSGERR_ATTR_MSG && at.len) {
			size_t n = strnlen((const char *)at.data, at.len);

			if (n >= sizeof(a->msg))
				n = sizeof(a->msg) - 1;
			memcpy(a->msg, at.data, n);
			a->msg[n] = 0;
		} else if (at.type == NLMSGERR_ATTR_MISS_TYPE && at.len == 4) {
			uint32_t t;

			memcpy(&t, at.data, 4);
			a->miss_type = (int)t;
		}
	}
}

static void nf_parse_done(const struct nlmsghdr *nh, struct nf_answer *a)
{
	int err = 0;
	const uint8_t *p;
	struct nf_attr at;
	size_t len;

	if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
		memcpy(&err, NLMSG_DATA(nh), sizeof(int));
	if (err < 0) {
		a->error = true;
		a->err = -err;
	}
	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
		return;
	p = (const uint8_t *)NLMSG_DATA(nh) + NLMSG_ALIGN(sizeof(int));
	len = nh->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(int)));
	while (nf_attr_next(&p, &len, &at)) {
		if (at.type == NLMSGERR_ATTR_MSG && at.len) {
			size_t n = strnlen((const char *)at.data, at.len);

			if (n >= sizeof(a->msg))
				n = sizeof(a->msg) - 1;
			memcpy(a->msg, at.data, n);
			a->msg[n] = 0;
		}
	}
}

/*
 * Are the headers of r, as they will be sent, ones the genl layer lets
 * through to the command (genl_family_rcv_msg(), genl_header_check())?
 */
static void nf_req_check(struct nf_req *r)
{
	const struct nlmsghdr *nh = (const void *)r->b.p;
	const struct genlmsghdr *gh = NLMSG_DATA(nh);
	uint16_t flags;

	r->header_ok = false;
	if (r->b.len < NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	r->cmd = gh->cmd;
	flags = nh->nlmsg_flags;
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP)
		flags &= ~NLM_F_DUMP;
	r->header_ok = nh->nlmsg_len == r->b.len &&
		nh->nlmsg_type == nf_fam.id &&
		(flags & NLM_F_REQUEST) &&
		!(flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) &&
		!gh->reserved && nf_fam.cmd[gh->cmd].known;
}

int nf_xfer(struct nf_sock *s, struct nf_req *r, struct nf_answer *a,
	    nf_reply_fn fn, void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *req = (struct nlmsghdr *)r->b.p;
	uint32_t seq = s->seq++;
	bool done = false;
	ssize_t n;

	memset(a, 0, sizeof(*a));
	a->miss_type = -1;
	if (r->b.len >= sizeof(*req)) {
		/* what the header says now, mutations included */
		req->nlmsg_seq = seq;
		r->ack = req->nlmsg_flags & NLM_F_ACK;
		r->dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	}
	if (nf_fam.id)	/* not while the family is looked up */
		nf_req_check(r);
	n = sendto(s->fd, r->b.p, r->b.len, 0, (struct sockaddr *)&sa,
		   sizeof(sa));
	if (n < 0)
		return -errno;

	while (!done) {
		struct nlmsghdr *nh;
		size_t left;

		/*
		 * Everything for this request is queued by now (or made by
		 * the next recvmsg, for a dump); the poll only guards
		 * against a reply still in flight on another CPU.
		 */
		n = recv(s->fd, s->rbuf, s->rcap, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

			/* Nothing queued and nothing answered: nothing will
			 * be (a success without NLM_F_ACK, a message the
			 * kernel drops). A dump started goes on.
			 */
			if (!a->answered || !r->dump)
				break;
			if (poll(&pfd, 1, 20) <= 0)
				break;
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			a->overrun = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		left = (size_t)n;
		for (nh = (struct nlmsghdr *)s->rbuf; NLMSG_OK(nh, left);
		     nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_seq != seq)
				continue;	/* an old request's late answer */
			a->answered = true;
			if (nh->nlmsg_flags & NLM_F_DUMP_INTR)
				a->dump_intr = true;
			switch (nh->nlmsg_type) {
			case NLMSG_ERROR:
				nf_parse_ack(nh, a);
				done = true;
				break;
			case NLMSG_DONE:
				nf_parse_done(nh, a);
				done = true;
				break;
			case NLMSG_NOOP:
			case NLMSG_OVERRUN:
				break;
			default:
				a->data = true;
				a->nreplies++;
				if (fn)
					fn(nh, arg);
				if (!(nh->nlmsg_flags & NLM_F_MULTI))
					done = !r->ack;
				break;
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------ family */

const char *nf_cmd_name(unsigned int cmd, char *buf, size_t len)
{
	const char *n = cpns_cmd_name(cmd);

	if (n && strcmp(n, "?"))
		return n;
	snprintf(buf, len, "cmd%u", cmd);
	return buf;
}

/* One request to nlctrl, every answer through fn. */
static int nf_ctrl(struct nf_sock *s, uint8_t cmd, uint16_t flags,
		   nf_reply_fn fn, void *arg, struct nf_answer *a)
{
	struct nf_req r = { 0 };
	int err;

	nf_req_begin(&r, GENL_ID_CTRL, cmd, NLM_F_REQUEST | NLM_F_ACK | flags);
	/* nlctrl is version 2; it does not check */
	nf_put_attr(&r.b, CTRL_ATTR_FAMILY_NAME, CPNS_GENL_NAME,
		    sizeof(CPNS_GENL_NAME), -1);
	nf_req_end(&r);
	err = nf_xfer(s, &r, a, fn, arg);
	nf_buf_free(&r.b);
	if (!err && a->error)
		err = -a->err;
	return err;
}

static void nf_family_reply(const struct nlmsghdr *nh, void *arg)
{
	struct nf_attr as[32];
	const struct nf_attr *id;
	int n = nf_parse_reply(nh, as, 32);

	(void)arg;
	id = nf_find(as, n, CTRL_ATTR_FAMILY_ID);
	if (id && id->len == 2)
		memcpy(&nf_fam.id, id->data, 2);
}

static void nf_policy_attr(struct nf_pattr *pa, const uint8_t *p, size_t len)
{
	struct nf_attr a;

	pa->present = true;
	pa->nested = -1;
	while (nf_attr_next(&p, &len, &a)) {
		uint32_t v32 = 0;
		uint64_t v64 = 0;

		if (a.len == 4)
			memcpy(&v32, a.data, 4);
		if (a.len == 8)
			memcpy(&v64, a.data, 8);
		switch (a.type) {
		case NL_POLICY_TYPE_ATTR_TYPE:
			pa->type = (uint8_t)v32;
			break;
		case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
		case NL_POLICY_TYPE_ATTR_MIN_VALUE_S:
			pa->has_range = true;
			pa->min_val = v64;
			break;
		case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
		case NL_POLICY_TYPE_ATTR_MAX_VALUE_S:
			pa->has_range = true;
			pa->max_val = v64;
			break;
		case NL_POLICY_TYPE_ATTR_MIN_LENGTH:
			pa->has_len = true;
			pa->min_len = v32;
			break;
		case NL_POLICY_TYPE_ATTR_MAX_LENGTH:
			pa->has_len = true;
			pa->max_len = v32;
			break;
		case NL_POLICY_TYPE_ATTR_POLICY_IDX:
			pa->nested = (int)v32;
			break;
		}
	}
	if (pa->has_len && !pa->max_len)
		pa->max_len = 65531;
}

static void nf_policy_reply(const struct nlmsghdr *nh, void *arg)
{
	struct nf_attr as[8], x, y, z;
	int n = nf_parse_reply(nh, as, 8);

	(void)arg;
	for (int i = 0; i < n; i++) {
		const uint8_t *p = as[i].data;
		size_t len = as[i].len;

		if (as[i].type == CTRL_ATTR_OP_POLICY) {
			/* { op: { DO: idx, DUMP: idx } } */
			while (nf_attr_next(&p, &len, &x)) {
				struct nf_cmd *c = &nf_fam.cmd[x.type & 0xff];
				const uint8_t *q = x.data;
				size_t ql = x.len;

				if (x.type >= NF_MAX_CMD)
					continue;
				if (!c->known)
					nf_fam.cmds[nf_fam.ncmd++] = (uint8_t)x.type;
				c->known = true;
				c->pol = -1;
				while (nf_attr_next(&q, &ql, &y)) {
					uint32_t idx;

					if (y.len != 4)
						continue;
					memcpy(&idx, y.data, 4);
					if (y.type == CTRL_ATTR_POLICY_DO)
						c->doit = true;
					if (y.type == CTRL_ATTR_POLICY_DUMP)
						c->dumpit = true;
					c->pol = (int)idx;
				}
			}
		} else if (as[i].type == CTRL_ATTR_POLICY) {
			/* { policy idx: { attr: { properties } } } */
			while (nf_attr_next(&p, &len, &x)) {
				const uint8_t *q = x.data;
				size_t ql = x.len;

				if (x.type >= NF_MAX_POL)
					continue;
				nf_fam.pol[x.type].present = true;
				while (nf_attr_next(&q, &ql, &z)) {
					if (z.type >= NF_MAX_ATTR)
						continue;
					nf_policy_attr(&nf_fam.pol[x.type].a[z.type],
						       z.data, z.len);
					if (z.type > nf_fam.max_attr)
						nf_fam.max_attr = z.type;
				}
			}
		}
	}
}

/* Without a policy dump: the commands and attributes of cpns.h. */
static void nf_family_fallback(void)
{
	static const uint8_t u32s[] = {
		CPNS_A_TIMEOUT, CPNS_A_HANDLE, CPNS_A_XFER_CODE,
		CPNS_A_GENERATION,
	};

	nf_fam.ncmd = 0;
	for (int c = 1; c <= CPNS_CMD_MAX; c++) {
		nf_fam.cmds[nf_fam.ncmd++] = (uint8_t)c;
		nf_fam.cmd[c].known = true;
		nf_fam.cmd[c].doit = c != CPNS_CMD_KEY_GET;
		nf_fam.cmd[c].dumpit = c == CPNS_CMD_KEY_GET;
		nf_fam.cmd[c].pol = 0;
	}
	/* One policy of every attribute: binary of any size but these. */
	nf_fam.pol[0].present = true;
	for (int t = CPNS_A_VERSION; t <= CPNS_A_MAX && t < NF_MAX_ATTR; t++) {
		struct nf_pattr *pa = &nf_fam.pol[0].a[t];

		pa->present = true;
		pa->nested = -1;
		pa->type = NL_ATTR_TYPE_BINARY;
		pa->has_len = true;
		pa->min_len = 0;
		pa->max_len = 64;
	}
	for (size_t i = 0; i < sizeof(u32s); i++)
		nf_fam.pol[0].a[u32s[i]].type = NL_ATTR_TYPE_U32;
	nf_fam.pol[0].a[CPNS_A_SEQ].type = NL_ATTR_TYPE_U64;
	nf_fam.pol[0].a[CPNS_A_KEY_KIND].type = NL_ATTR_TYPE_U8;
	nf_fam.max_attr = CPNS_A_MAX;
}

int nf_family_load(int fd)
{
	struct nf_sock s = { .fd = fd };
	struct nf_answer a;
	int err;

	s.rcap = 512 * 1024;
	s.rbuf = malloc(s.rcap);
	s.seq = 1000;
	if (!s.rbuf)
		return -ENOMEM;
	err = nf_ctrl(&s, CTRL_CMD_GETFAMILY, 0, nf_family_reply, NULL, &a);
	if (err || !nf_fam.id) {
		fprintf(stderr, "nlfuzz: family \"%s\" not found: %s\n",
			CPNS_GENL_NAME, strerror(err ? -err : ENOENT));
		free(s.rbuf);
		return err ? err : -ENOENT;
	}
	err = nf_ctrl(&s, CTRL_CMD_GETPOLICY, NLM_F_DUMP, nf_policy_reply,
		      NULL, &a);
	if (err || !nf_fam.ncmd) {
		fprintf(stderr,
			"nlfuzz: no policy dump (%s): using cpns.h's commands\n",
			strerror(err ? -err : ENODATA));
		memset(nf_fam.cmd, 0, sizeof(nf_fam.cmd));
		memset(nf_fam.pol, 0, sizeof(nf_fam.pol));
		nf_family_fallback();
	} else {
		nf_fam.from_policy = true;
	}
	/* cpns.h: every command but GET_INFO needs CAP_NET_ADMIN. */
	for (int i = 0; i < nf_fam.ncmd; i++)
		nf_fam.cmd[nf_fam.cmds[i]].priv =
			nf_fam.cmds[i] != CPNS_CMD_GET_INFO;
	free(s.rbuf);
	return 0;
}
