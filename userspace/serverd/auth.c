// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Flow a on the server. a-0: GW2 names its Device ID and nonce; the kernel
 * finds the seed from the Device ID, derives the Device Key and keeps an
 * a-flow under a handle bound to our netlink socket. a-2/a-3: the kernel
 * checks GW2's code and returns its own; the handle then names the session
 * whose keys SEAL and OPEN use. The daemon bounds a-flows waiting between
 * a-0 and a-2 (max_pending) and ends the flow or session when the
 * connection goes.
 */
#include <string.h>

#include "serverd.h"

void auth_end(struct sconn *sc)
{
	struct server *srv = sc->srv;

	if (sc->pending) {
		sc->pending = false;
		srv->pending--;
	}
	if (!sc->handle)
		return;
	if (cpns_session_del(srv->nl, sc->handle))
		/* Already gone (e.g. a wrong a-1 ended it): nothing to do. */
		sc_debug(sc, "session_del %u: %s", sc->handle,
			 cpns_last_error(srv->nl));
	else if (sc->state == SC_SESSION)
		sc_info(sc, "session with device id %s ended", HEX(sc->did));
	sc->handle = 0;
}

void auth_hello(struct sconn *sc, const struct cpns_wire_auth_hello *m)
{
	struct server *srv = sc->srv;
	struct cpns_wire_msg out;
	uint32_t handle;
	int ret;

	sc_info(sc, "a-0 received hello from device id %s, nc %s",
		HEX(m->did), HEX(m->nc));
	if (srv->pending >= srv->conf->max_pending) {
		sconn_refuse(sc, CPNS_WIRE_ERR_BUSY, CPNS_WIRE_AUTH_HELLO,
			     "too many authentications in progress (%u)",
			     srv->pending);
		return;
	}
	memset(&out, 0, sizeof(out));
	out.type = CPNS_WIRE_AUTH_CHALLENGE;
	ret = cpns_auth_challenge(srv->nl, m->did, m->nc, &handle,
				  out.auth_challenge.ns);
	if (ret) {
		sconn_kernel_error(sc, "a-0", ret, true, CPNS_WIRE_AUTH_HELLO);
		return;
	}
	sc->handle = handle;
	sc->pending = true;
	srv->pending++;
	memcpy(sc->did, m->did, sizeof(sc->did));
	if (sconn_send(sc, &out))
		return;
	sc->state = SC_AUTH_WAIT;
	cpns_conn_set_deadline(&sc->c, CPNS_DL_STEP,
			       srv->conf->step_timeout * 1000);
	sc_info(sc, "a-0 sent challenge ns %s", HEX(out.auth_challenge.ns));
}

void auth_client(struct sconn *sc, const struct cpns_wire_auth_mac *m)
{
	struct server *srv = sc->srv;
	struct cpns_wire_msg out;
	int ret;

	sc_info(sc, "a-1 received client code from device id %s",
		HEX(sc->did));
	memset(&out, 0, sizeof(out));
	out.type = CPNS_WIRE_AUTH_SERVER;
	ret = cpns_auth_server(srv->nl, sc->handle, m->mac,
			       out.auth_server.mac);
	if (ret) {
		/* A wrong code ends the flow in the kernel. */
		sconn_kernel_error(sc, "a-2", ret, true, CPNS_WIRE_AUTH_CLIENT);
		return;
	}
	sc->pending = false;
	srv->pending--;
	if (sconn_send(sc, &out))
		return;
	sc->state = SC_SESSION;
	sc_notice(sc, "a-2 device id %s authenticated; a-3 sent server code; session %u established",
		  HEX(sc->did), sc->handle);
}
