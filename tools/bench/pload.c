// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The load: N clients against cpns-serverd over TCP, each a state machine
 * over a struct cpns_conn in one event loop, every message encoded and
 * decoded by the library's wire codec and every secret step done by this
 * host's kernel through libcpns, as the daemons do.
 *
 * A run starts every client at once and lets each begin a new flow as
 * soon as its last one ended, until the window closes; then the flows in
 * progress finish (they are counted apart, as drained), the connections
 * close and the loop ends. Only flows that end within the window count.
 * An auth flow has a connection of its own (a GW2 session is its
 * connection's); an assign client keeps its connection from one flow to
 * the next, as cpns-gwd keeps its link to the server (pb->assign_new: a
 * new one per flow), and connects again only once it ended (a failure
 * closes it).
 *
 * With pb->floor, the same clients talk to the floor's responder
 * (pfloor.c) instead: the same connection and the same frames (types and
 * sizes) each way, with no kernel command and no check but the types.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>

#include "export.h"
#include "proto.h"

enum pb_state {
	PB_IDLE = 0,
	PB_CONNECTING,
	PB_WAIT_SEED,		/* I-1 sent */
	PB_WAIT_CHALLENGE,	/* II-1 sent */
	PB_WAIT_CONFIRM,	/* II-5 sent */
	PB_WAIT_AUTH_CHALLENGE,	/* a-0 sent */
	PB_WAIT_AUTH_SERVER,	/* a-1 sent */
	PB_WAIT_ACK,		/* STATUS_REPORT sent */
};

struct pb_client {
	struct pb *pb;
	unsigned int idx;
	int state;
	bool live;			/* conn and watch are set up */
	struct cpns_conn conn;
	struct cpns_watch w;
	uint64_t start;			/* ns: the flow began */

	/* flow I */
	uint32_t xfer;
	bool have_xfer;
	/* flow II */
	uint8_t n1[CPNS_NONCE_LEN];
	uint8_t did[CPNS_DEVICE_ID_LEN];
	bool derived;			/* GW1 holds a Device Key did */
	/* flow a */
	struct cpns_rekey rk;
	uint32_t handle;
	bool have_handle;
	uint64_t report_seq;
	uint16_t floor_ct;		/* the floor's sealed report's ct_len */
};

static void client_start(struct pb_client *c);
static int first_step(struct pb_client *c);

/* The end of a flow, well or not: free what the kernel holds for it. */
static void flow_free(struct pb_client *c)
{
	struct pb *pb = c->pb;

	if (c->have_handle) {
		cpns_session_del(pb->g2, c->handle);
		c->have_handle = false;
	}
	if (c->have_xfer) {
		cpns_session_del(pb->g1, c->xfer);
		c->have_xfer = false;
	}
	if (c->derived) {
		cpns_key_del_device(pb->g1, c->did);
		c->derived = false;
	}
}

/* The end of a flow and of its connection. */
static void client_end(struct pb_client *c)
{
	struct pb *pb = c->pb;

	if (c->live) {
		cpns_watch_del(pb->loop, &c->w);
		cpns_conn_close(&c->conn);
		c->live = false;
	}
	flow_free(c);
	c->state = PB_IDLE;
	pb->nlive--;
}

/* Does the next flow run on this flow's connection? */
static bool link_kept(const struct pb *pb)
{
	return pb->kind == PB_ASSIGN && !pb->assign_new && !pb->once &&
	       !pb->stopping;
}

static void client_fail(struct pb_client *c, const char *fmt, ...)
	CPNS_PRINTF(2, 3);

static void client_fail(struct pb_client *c, const char *fmt, ...)
{
	struct pb *pb = c->pb;
	va_list ap;

	pb->failed++;
	if (pb->reported++ < 10) {
		fprintf(stderr, "cpns-proto-bench: %s client %u: ",
			pb_kind_name(pb->kind), c->idx);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	client_end(c);
	client_start(c);
}

/* A kernel command failed. */
static void kernel_fail(struct pb_client *c, struct cpns_nl *nl,
			const char *cmd)
{
	client_fail(c, "%s: %s", cmd, cpns_last_error(nl));
}

/*
 * A flow ended well. 1: its connection is closed (and another flow begun
 * on a new one); 0: the next flow began on it; -1: that one failed.
 */
static int client_done(struct pb_client *c)
{
	struct pb *pb = c->pb;

	if (!c->idx && !pb->once)
		pb->shape[pb->floor][pb->kind].done = true;
	if (!pb->stopping) {
		pb->ops++;
		if (pb_lat_add(pb, pb_now_ns() - c->start))
			fprintf(stderr, "cpns-proto-bench: out of memory\n");
	} else {
		pb->drained++;
	}
	if (link_kept(pb)) {
		flow_free(c);
		c->start = pb_now_ns();
		return first_step(c);
	}
	client_end(c);
	client_start(c);
	return 1;
}

/* Client 0's first timed flow of each kind: the sizes of its frames. */
static void shape_add(struct pb_client *c, const struct cpns_wire_msg *m,
		      bool out)
{
	struct pb *pb = c->pb;
	struct pb_shape *sh = &pb->shape[pb->floor][pb->kind];
	uint8_t buf[CPNS_WIRE_MAX_FRAME];
	size_t len = 0;

	if (c->idx || pb->once || sh->done)
		return;
	cpns_wire_encode(m, buf, sizeof(buf), &len);
	if (out && sh->nout < PB_SHAPE_MAX)
		sh->out[sh->nout++] = (uint16_t)len;
	else if (!out && sh->nin < PB_SHAPE_MAX)
		sh->in[sh->nin++] = (uint16_t)len;
}

static int send_msg(struct pb_client *c, const struct cpns_wire_msg *m)
{
	int ret;

	shape_add(c, m, true);
	ret = cpns_conn_send(&c->conn, m);

	if (ret) {
		client_fail(c, "cannot send %s: %s",
			    cpns_wire_type_name(m->type),
			    ret == -ENOBUFS ? "buffer full" :
			    ret < 0 && ret > -100 ? cpns_wire_strerror(ret) :
			    strerror(-ret));
		return -1;
	}
	cpns_conn_set_deadline(&c->conn, CPNS_DL_STEP, PB_STEP_MS);
	return 0;
}

/* ---------------------------------------------------------- the steps */

/* The seed_pairing_key that tools/bench/proto gives the server too. */
static const struct cpns_keyref seed_pairing = {
	.type = "logon", .desc = "cpns:bench-seed-pair",
};

/* I-1: GW1's transfer key pair, its public key to the server. */
static int seed_begin(struct pb_client *c)
{
	struct cpns_wire_msg m = { .type = CPNS_WIRE_SEED_REQUEST };
	struct pb *pb = c->pb;

	if (cpns_xfer_new(pb->g1, &c->xfer, m.seed_request.pubkey)) {
		kernel_fail(c, pb->g1, "XFER_NEW");
		return -1;
	}
	c->have_xfer = true;
	if (cpns_xfer_accept(pb->g1, c->xfer, CPNS_KEY_SEED, &seed_pairing,
			     m.seed_request.proof)) {
		kernel_fail(c, pb->g1, "XFER_ACCEPT");
		return -1;
	}
	m.seed_request.flags = CPNS_WIRE_SEED_PROOF;
	cpns_wire_name_set(&m.seed_request.name, "bench-gw1");
	c->state = PB_WAIT_SEED;
	return send_msg(c, &m);
}

/* I-3: the sealed seed into GW1's keyring. */
static int seed_response(struct pb_client *c, const struct cpns_wire_msg *m)
{
	const struct cpns_wire_seed_response *r = &m->seed_response;
	struct pb *pb = c->pb;
	uint32_t code;
	int32_t serial;

	if (cpns_seed_import(pb->g1, c->xfer, r->sid, r->pubkey, r->wrapped, 0,
			     &serial, &code)) {
		kernel_fail(c, pb->g1, "SEED_IMPORT");
		return -1;
	}
	c->have_xfer = false;		/* consumed */
	memcpy(pb->sid, r->sid, sizeof(pb->sid));
	pb->have_seed = true;
	return client_done(c);
}

/* II-1 */
static int assign_begin(struct pb_client *c)
{
	struct cpns_wire_msg m = { .type = CPNS_WIRE_ASSIGN_REQUEST };
	struct cpns_wire_assign_request *r = &m.assign_request;
	struct pb *pb = c->pb;

	if (cpns_assign_request(pb->g1, pb->sid, r->n1, r->mac)) {
		kernel_fail(c, pb->g1, "ASSIGN_REQUEST");
		return -1;
	}
	memcpy(r->sid, pb->sid, sizeof(r->sid));
	memcpy(c->n1, r->n1, sizeof(c->n1));
	c->state = PB_WAIT_CHALLENGE;
	return send_msg(c, &m);
}

/* II-3 check, II-4, II-5 */
static int assign_challenge(struct pb_client *c, const struct cpns_wire_msg *in)
{
	const struct cpns_wire_assign_challenge *ch = &in->assign_challenge;
	struct cpns_wire_msg m = { .type = CPNS_WIRE_ASSIGN_DEVICE_ID };
	struct pb *pb = c->pb;
	int32_t serial;

	if (memcmp(ch->n1, c->n1, sizeof(c->n1))) {
		client_fail(c, "II-3 for another n1");
		return -1;
	}
	if (cpns_assign_derive(pb->g1, pb->sid, c->n1, ch->ch, ch->mac, c->did,
			       &serial)) {
		kernel_fail(c, pb->g1, "ASSIGN_DERIVE");
		return -1;
	}
	c->derived = true;
	memcpy(m.assign_device_id.did, c->did, sizeof(c->did));
	memcpy(m.assign_device_id.n1, c->n1, sizeof(c->n1));
	c->state = PB_WAIT_CONFIRM;
	return send_msg(c, &m);
}

/* Set-up: II-9 from GW1's kernel to GW2's, kept for the auth clients. */
static int hand_over(struct pb_client *c)
{
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN];
	struct pb *pb = c->pb;
	uint32_t handle, code1, code2;
	int32_t serial;

	if (cpns_xfer_new(pb->g2, &handle, rpub)) {
		kernel_fail(c, pb->g2, "XFER_NEW");
		return -1;
	}
	if (cpns_xfer_local(pb->g1, pb->g2, handle, CPNS_KEY_DEVICE, c->did,
			    rpub, spub, wrapped, &code1)) {
		cpns_session_del(pb->g2, handle);
		kernel_fail(c, pb->g1, "DEVICE_EXPORT");
		return -1;
	}
	if (cpns_device_import(pb->g2, handle, c->did, spub, wrapped, 0,
			       &serial, &code2)) {
		cpns_session_del(pb->g2, handle);
		kernel_fail(c, pb->g2, "DEVICE_IMPORT");
		return -1;
	}
	if (code1 != code2) {
		cpns_key_del_device(pb->g2, c->did);
		client_fail(c, "II-9 transfer codes differ: %06u, %06u",
			    code1, code2);
		return -1;
	}
	memcpy(pb->dids[pb->ndids++], c->did, CPNS_DEVICE_ID_LEN);
	return 0;
}

/* II-8, then GW1 gives up its copy (after II-9 in set-up). */
static int assign_confirm(struct pb_client *c, const struct cpns_wire_msg *in)
{
	const struct cpns_wire_assign_confirm *cf = &in->assign_confirm;
	struct pb *pb = c->pb;
	int32_t serial;
	uint8_t state;

	if (memcmp(cf->did, c->did, sizeof(c->did))) {
		client_fail(c, "II-7 for another device id");
		return -1;
	}
	if (cpns_assign_verify(pb->g1, c->did, cf->code, &serial, &state)) {
		kernel_fail(c, pb->g1, "ASSIGN_VERIFY");
		return -1;
	}
	if (state != CPNS_STATE_CONFIRMED) {
		client_fail(c, "II-8: the Device Key is %s, not confirmed",
			    cpns_state_name(state));
		return -1;
	}
	if (pb->export && hand_over(c))
		return -1;
	/* GW1 keeps no Device Key (flow_free() deletes it). */
	return client_done(c);
}

/* a-0 */
static int auth_begin(struct pb_client *c)
{
	struct cpns_wire_msg m = { .type = CPNS_WIRE_AUTH_HELLO };
	struct cpns_wire_auth_hello *h = &m.auth_hello;
	struct pb *pb = c->pb;
	const uint8_t *did = pb->dids[c->idx];

	memset(&c->rk, 0, sizeof(c->rk));
	if (cpns_auth_begin_rk(pb->g2, did, &c->handle, h->nc, &c->rk)) {
		kernel_fail(c, pb->g2, "AUTH_BEGIN");
		return -1;
	}
	c->have_handle = true;
	memcpy(h->did, did, sizeof(h->did));
	/* A key of generation 0 (its first authentication) re-keys. */
	h->generation = c->rk.generation;
	if (c->rk.rekey) {
		h->flags = CPNS_WIRE_AUTH_REKEY;
		memcpy(h->pubkey, c->rk.client_pub, sizeof(h->pubkey));
	}
	c->state = PB_WAIT_AUTH_CHALLENGE;
	return send_msg(c, &m);
}

/* a-1 */
static int auth_challenge(struct pb_client *c, const struct cpns_wire_msg *in)
{
	const struct cpns_wire_auth_challenge *ch = &in->auth_challenge;
	struct cpns_wire_msg m = { .type = CPNS_WIRE_AUTH_CLIENT };
	struct pb *pb = c->pb;

	if (!!(ch->flags & CPNS_WIRE_AUTH_REKEY) != c->rk.rekey) {
		client_fail(c, "a-0: the server %s the re-key",
			    c->rk.rekey ? "did not accept" : "asked for");
		return -1;
	}
	if (c->rk.rekey)
		memcpy(c->rk.server_pub, ch->pubkey, sizeof(c->rk.server_pub));
	if (cpns_auth_client_rk(pb->g2, c->handle, ch->ns, &c->rk,
				m.auth_client.mac)) {
		kernel_fail(c, pb->g2, "AUTH_CLIENT");
		return -1;
	}
	c->state = PB_WAIT_AUTH_SERVER;
	return send_msg(c, &m);
}

/* a-4, then one sealed STATUS_REPORT. */
static int auth_server(struct pb_client *c, const struct cpns_wire_msg *in)
{
	struct cpns_wire_inner rep = { .type = CPNS_WIRE_STATUS_REPORT };
	struct cpns_wire_msg m = { .type = CPNS_WIRE_SEALED };
	uint8_t pt[CPNS_WIRE_INNER_MAX], aad[CPNS_WIRE_HDR_LEN];
	size_t ptlen, ctlen = sizeof(m.sealed.ct);
	struct pb *pb = c->pb;
	char text[64];

	if (cpns_auth_finish_rk(pb->g2, c->handle, in->auth_server.mac,
				&c->rk)) {
		kernel_fail(c, pb->g2, "AUTH_FINISH");
		return -1;
	}
	rep.status_report.health = CPNS_WIRE_HEALTH_OK;
	rep.status_report.time = (uint64_t)time(NULL);
	snprintf(text, sizeof(text), "bench client %u", c->idx);
	if (cpns_wire_text_set(&rep.status_report.text, text,
			       CPNS_WIRE_TEXT_MAX) ||
	    cpns_wire_inner_encode(&rep, pt, sizeof(pt), &ptlen) ||
	    cpns_wire_sealed_aad(ptlen + CPNS_TAG_LEN, aad)) {
		client_fail(c, "cannot encode a STATUS_REPORT");
		return -1;
	}
	if (cpns_seal(pb->g2, c->handle, aad, sizeof(aad), pt, ptlen,
		      &c->report_seq, m.sealed.ct, &ctlen)) {
		kernel_fail(c, pb->g2, "SEAL");
		return -1;
	}
	m.sealed.seq = c->report_seq;
	m.sealed.ct_len = (uint16_t)ctlen;
	c->state = PB_WAIT_ACK;
	return send_msg(c, &m);
}

/* The sealed STATUS_ACK: open it, check it acknowledges our report. */
static int auth_ack(struct pb_client *c, const struct cpns_wire_msg *in)
{
	const struct cpns_wire_sealed *s = &in->sealed;
	uint8_t pt[CPNS_WIRE_SEALED_MAX], aad[CPNS_WIRE_HDR_LEN];
	size_t ptlen = sizeof(pt);
	struct cpns_wire_inner ack;
	struct pb *pb = c->pb;

	if (cpns_wire_sealed_aad(s->ct_len, aad)) {
		client_fail(c, "SEALED of %u bytes", s->ct_len);
		return -1;
	}
	if (cpns_unseal(pb->g2, c->handle, s->seq, aad, sizeof(aad), s->ct,
			s->ct_len, pt, &ptlen)) {
		kernel_fail(c, pb->g2, "OPEN");
		return -1;
	}
	if (cpns_wire_inner_decode(pt, ptlen, &ack) ||
	    ack.type != CPNS_WIRE_STATUS_ACK ||
	    ack.status_ack.seq != c->report_seq) {
		client_fail(c, "the sealed answer is not the STATUS_ACK of seq %llu",
			    (unsigned long long)c->report_seq);
		return -1;
	}
	return client_done(c);
}

/* ---------------------------------------------------------- the floor */

/*
 * The floor's flows: each frame of the real flow's type and size (the
 * variable ones, AUTH_HELLO without re-key and the sealed report, as in
 * a timed run), contents zero but for what the size depends on.
 */
static int floor_begin(struct pb_client *c)
{
	struct cpns_wire_msg m = { .type = CPNS_WIRE_ASSIGN_REQUEST };

	if (c->pb->kind == PB_AUTH) {
		m.type = CPNS_WIRE_AUTH_HELLO;
		m.auth_hello.generation = 1;
		c->state = PB_WAIT_AUTH_CHALLENGE;
	} else {
		c->state = PB_WAIT_CHALLENGE;
	}
	return send_msg(c, &m);
}

/* The ct_len of auth_server()'s STATUS_REPORT. */
static uint16_t floor_report_len(struct pb_client *c)
{
	struct cpns_wire_inner rep = { .type = CPNS_WIRE_STATUS_REPORT };
	uint8_t pt[CPNS_WIRE_INNER_MAX];
	size_t ptlen = 0;
	char text[64];

	rep.status_report.health = CPNS_WIRE_HEALTH_OK;
	snprintf(text, sizeof(text), "bench client %u", c->idx);
	cpns_wire_text_set(&rep.status_report.text, text, CPNS_WIRE_TEXT_MAX);
	cpns_wire_inner_encode(&rep, pt, sizeof(pt), &ptlen);
	return (uint16_t)(ptlen + CPNS_TAG_LEN);
}

/* As on_msg(), for the floor. */
static int floor_msg(struct pb_client *c, const struct cpns_wire_msg *in)
{
	struct cpns_wire_msg m = { 0 };

	switch (c->state) {
	case PB_WAIT_CHALLENGE:
		if (in->type != CPNS_WIRE_ASSIGN_CHALLENGE)
			break;
		m.type = CPNS_WIRE_ASSIGN_DEVICE_ID;
		c->state = PB_WAIT_CONFIRM;
		return send_msg(c, &m);
	case PB_WAIT_CONFIRM:
		if (in->type != CPNS_WIRE_ASSIGN_CONFIRM)
			break;
		return client_done(c);
	case PB_WAIT_AUTH_CHALLENGE:
		if (in->type != CPNS_WIRE_AUTH_CHALLENGE)
			break;
		m.type = CPNS_WIRE_AUTH_CLIENT;
		c->state = PB_WAIT_AUTH_SERVER;
		return send_msg(c, &m);
	case PB_WAIT_AUTH_SERVER:
		if (in->type != CPNS_WIRE_AUTH_SERVER)
			break;
		if (!c->floor_ct)
			c->floor_ct = floor_report_len(c);
		m.type = CPNS_WIRE_SEALED;
		m.sealed.seq = 1;
		m.sealed.ct_len = c->floor_ct;
		c->state = PB_WAIT_ACK;
		return send_msg(c, &m);
	case PB_WAIT_ACK:
		if (in->type != CPNS_WIRE_SEALED)
			break;
		return client_done(c);
	}
	client_fail(c, "floor: unexpected %s from the responder",
		    cpns_wire_type_name(in->type) ?: "message");
	return -1;
}

/* ---------------------------------------------------------- the loop */

/* The first step once connected. */
static int first_step(struct pb_client *c)
{
	if (c->pb->floor)
		return floor_begin(c);
	switch (c->pb->kind) {
	case PB_SEED:
		return seed_begin(c);
	case PB_ASSIGN:
		return assign_begin(c);
	case PB_AUTH:
		return auth_begin(c);
	}
	return -1;
}

/*
 * One message: <0 the flow failed, 1 it ended with its connection, 0 go
 * on (with this flow or the next on the same connection).
 */
static int on_msg(struct pb_client *c, const struct cpns_wire_msg *m)
{
	shape_add(c, m, false);
	if (c->pb->floor)
		return floor_msg(c, m);
	if (m->type == CPNS_WIRE_ERROR) {
		client_fail(c, "the server sent ERROR %u (%s): %s",
			    m->error.code, cpns_wire_code_name(m->error.code),
			    m->error.text.s);
		return -1;
	}
	switch (c->state) {
	case PB_WAIT_SEED:
		if (m->type == CPNS_WIRE_SEED_RESPONSE)
			return seed_response(c, m);
		break;
	case PB_WAIT_CHALLENGE:
		if (m->type == CPNS_WIRE_ASSIGN_CHALLENGE)
			return assign_challenge(c, m);
		break;
	case PB_WAIT_CONFIRM:
		if (m->type == CPNS_WIRE_ASSIGN_CONFIRM)
			return assign_confirm(c, m);
		break;
	case PB_WAIT_AUTH_CHALLENGE:
		if (m->type == CPNS_WIRE_AUTH_CHALLENGE)
			return auth_challenge(c, m);
		break;
	case PB_WAIT_AUTH_SERVER:
		if (m->type == CPNS_WIRE_AUTH_SERVER)
			return auth_server(c, m);
		break;
	case PB_WAIT_ACK:
		if (m->type == CPNS_WIRE_SEALED)
			return auth_ack(c, m);
		break;
	}
	client_fail(c, "unexpected %s from the server",
		    cpns_wire_type_name(m->type) ?: "message");
	return -1;
}

static void on_event(struct cpns_loop *loop, struct cpns_watch *w,
		     uint32_t events)
{
	struct pb_client *c = w->arg;
	struct cpns_wire_msg m;
	int ret;

	if (c->state == PB_CONNECTING) {
		ret = cpns_conn_connected(&c->conn);
		if (ret) {
			client_fail(c, "connect to %s: %s", c->conn.peer,
				    strerror(-ret));
			return;
		}
		if (first_step(c))
			return;
	} else {
		if ((events & EPOLLOUT) && cpns_conn_flush(&c->conn) < 0) {
			client_fail(c, "write: %s", strerror(c->conn.sys_err));
			return;
		}
		if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
			for (;;) {
				ret = cpns_conn_recv(&c->conn, &m);
				if (ret == CPNS_CONN_AGAIN)
					break;
				if (ret == CPNS_CONN_MSG) {
					if (on_msg(c, &m))
						return;
					continue;
				}
				client_fail(c, "%s",
					    ret == CPNS_CONN_CLOSED ?
					    "the server closed the connection" :
					    ret == CPNS_CONN_IOERR ?
					    strerror(c->conn.sys_err) :
					    cpns_wire_strerror(ret));
				return;
			}
		}
	}
	if (cpns_watch_mod(loop, w, cpns_conn_events(&c->conn)))
		client_fail(c, "epoll: %s", strerror(errno));
}

static void stop_if_done(struct pb *pb)
{
	if ((pb->stopping || pb->once) && !pb->nlive)
		cpns_loop_stop(pb->loop);
}

static void client_start(struct pb_client *c)
{
	struct pb *pb = c->pb;
	int fd, ret;

	if (pb->stopping || (pb->once && c->start)) {
		stop_if_done(pb);
		return;
	}
	if (!c->idx && !pb->once && !pb->shape[pb->floor][pb->kind].done) {
		/* A flow that failed half-way is not the shape. */
		pb->shape[pb->floor][pb->kind].nout = 0;
		pb->shape[pb->floor][pb->kind].nin = 0;
	}
	fd = cpns_connect_start((const struct sockaddr *)(pb->floor ?
				&pb->floor_addr : &pb->addr), pb->addrlen);
	if (fd < 0) {
		pb->failed++;
		if (pb->reported++ < 10)
			fprintf(stderr, "cpns-proto-bench: connect: %s\n",
				strerror(-fd));
		stop_if_done(pb);
		return;
	}
	cpns_conn_init(&c->conn, fd, true,
		       pb->floor ? pb->floor_str : pb->server_str);
	ret = cpns_watch_add(pb->loop, &c->w, fd, cpns_conn_events(&c->conn),
			     on_event, c);
	if (ret) {
		cpns_conn_close(&c->conn);
		pb->failed++;
		stop_if_done(pb);
		return;
	}
	c->live = true;
	c->state = PB_CONNECTING;
	c->start = pb_now_ns();
	pb->nlive++;
	pb->conns++;
}

/* Every 100 ms: close the window, enforce the deadlines. */
static void on_tick(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct pb *pb = t->arg;
	uint64_t now = pb_now_ns(), ms = cpns_now_ms();
	unsigned int i;
	int dl;

	if (!pb->once && !pb->stopping && now >= pb->t_end) {
		/* The window ends here: what ends later is drained. */
		pb->stopping = true;
		pb->t_stop = now;
		pb_cpu_read(pb, &pb->cpu_stop);
	}
	for (i = 0; i < pb->nclient; i++) {
		struct pb_client *c = &pb->clients[i];

		if (!c->live)
			continue;
		dl = cpns_conn_expired(&c->conn, ms);
		if (pb->stopping && now > pb->t_end + PB_DRAIN_MS * 1000000ULL)
			client_fail(c, "still running %d s after the window",
				    PB_DRAIN_MS / 1000);
		else if (dl != CPNS_DL_NONE)
			client_fail(c, "no answer from the server: %s timeout",
				    cpns_conn_deadline_name(dl));
	}
	stop_if_done(pb);
	if (cpns_timer_arm(loop, t, ms + 100))
		cpns_loop_stop(loop);
}

int pb_run_proto(struct pb *pb, enum pb_kind kind, unsigned int n,
		 bool once, struct pb_run *run)
{
	struct cpns_stats st;
	struct pb_cpu c0;
	unsigned int i;
	int ret;

	memset(run, 0, sizeof(*run));
	run->kind = kind;
	run->clients = n;
	pb->clients = calloc(n, sizeof(*pb->clients));
	if (!pb->clients)
		return -ENOMEM;
	pb->kind = kind;
	pb->nclient = n;
	pb->once = once;
	pb->stopping = false;
	pb->ops = 0;
	pb->failed = 0;
	pb->drained = 0;
	pb->conns = 0;
	pb->nlat = 0;
	pb->nlive = 0;
	pb->reported = 0;
	cpns_timer_init(&pb->tick, on_tick, pb);
	/* The floor runs no command in the server's kernel. */
	ret = pb->floor ? 0 : pb_stats_begin(pb, &st);
	if (ret)
		goto out;

	pb_cpu_read(pb, &c0);
	pb->t0 = pb_now_ns();
	pb->t_end = pb->t0 + (uint64_t)(pb->seconds_run * 1e9);
	for (i = 0; i < n; i++) {
		pb->clients[i].pb = pb;
		pb->clients[i].idx = i;
		client_start(&pb->clients[i]);
	}
	if (cpns_timer_arm(pb->loop, &pb->tick, cpns_now_ms() + 100)) {
		ret = -ENOMEM;
		goto out;
	}
	if (pb->nlive)
		ret = cpns_loop_run(pb->loop);
	cpns_timer_disarm(pb->loop, &pb->tick);
	if (ret)
		goto out;
	if (once) {
		pb->t_stop = pb_now_ns();
		pb_cpu_read(pb, &pb->cpu_stop);
	}

	/* The window: from the start to the tick that closed it. */
	run->seconds = (pb->t_stop - pb->t0) / 1e9;
	run->ops = pb->ops;
	run->failed = pb->failed;
	run->drained = pb->drained;
	run->conns = pb->conns;
	run->server_cpu = c0.server >= 0 && pb->cpu_stop.server >= 0 ?
			  pb->cpu_stop.server - c0.server : -1;
	run->cpu = pb->cpu_stop.self - c0.self +
		   (run->server_cpu > 0 ? run->server_cpu : 0);
	pb_latency(pb, run);
	if (!pb->floor)
		ret = pb_stats_end(pb, &st, run);
out:
	free(pb->clients);
	pb->clients = NULL;
	return ret;
}
