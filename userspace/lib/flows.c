// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Flows I, II and a, one function per command. The kernel holds every
 * secret; these carry only the public values of CPNS-KA-1 in and out.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define CALL(nl, cmd, p, w) \
	cpns__call(nl, cmd, p, CPNS_ARRAY_SIZE(p), w, CPNS_ARRAY_SIZE(w))

/* An optional u32 that the kernel takes 0 for as absent. */
#define OPT_U32(type, v) { type, (v) ? &(v) : NULL, 4 }

int cpns_seed_new(struct cpns_nl *nl, uint32_t timeout,
		  uint8_t sid[CPNS_SEED_ID_LEN], int32_t *serial)
{
	const struct cpns_put p[] = { OPT_U32(CPNS_A_TIMEOUT, timeout) };
	const struct cpns_want w[] = {
		{ CPNS_A_SEED_ID, sid, CPNS_SEED_ID_LEN },
		{ CPNS_A_KEY_SERIAL, serial, 4 },
	};

	return CALL(nl, CPNS_CMD_SEED_NEW, p, w);
}

int cpns_xfer_new(struct cpns_nl *nl, uint32_t *handle,
		  uint8_t pub[CPNS_PUBKEY_LEN])
{
	const struct cpns_want w[] = {
		{ CPNS_A_HANDLE, handle, 4 },
		{ CPNS_A_PUBKEY, pub, CPNS_PUBKEY_LEN },
	};

	return cpns__call(nl, CPNS_CMD_XFER_NEW, NULL, 0, w,
			  CPNS_ARRAY_SIZE(w));
}

static int export(struct cpns_nl *nl, uint8_t cmd, uint16_t idtype,
		  const uint8_t *id, size_t idlen,
		  const uint8_t peer[CPNS_PUBKEY_LEN],
		  uint8_t pub[CPNS_PUBKEY_LEN],
		  uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t *code)
{
	const struct cpns_put p[] = {
		{ idtype, id, idlen },
		{ CPNS_A_PUBKEY, peer, CPNS_PUBKEY_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_PUBKEY, pub, CPNS_PUBKEY_LEN },
		{ CPNS_A_WRAPPED, wrapped, CPNS_WRAPPED_LEN },
		{ CPNS_A_XFER_CODE, code, 4 },
	};

	return CALL(nl, cmd, p, w);
}

static int import(struct cpns_nl *nl, uint8_t cmd, uint32_t handle,
		  uint16_t idtype, const uint8_t *id, size_t idlen,
		  const uint8_t peer[CPNS_PUBKEY_LEN],
		  const uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t timeout,
		  int32_t *serial, uint32_t *code)
{
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
		{ idtype, id, idlen },
		{ CPNS_A_PUBKEY, peer, CPNS_PUBKEY_LEN },
		{ CPNS_A_WRAPPED, wrapped, CPNS_WRAPPED_LEN },
		OPT_U32(CPNS_A_TIMEOUT, timeout),
	};
	const struct cpns_want w[] = {
		{ CPNS_A_KEY_SERIAL, serial, 4 },
		{ CPNS_A_XFER_CODE, code, 4 },
	};

	return CALL(nl, cmd, p, w);
}

int cpns_seed_export(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
		     const uint8_t peer[CPNS_PUBKEY_LEN],
		     uint8_t pub[CPNS_PUBKEY_LEN],
		     uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t *code)
{
	return export(nl, CPNS_CMD_SEED_EXPORT, CPNS_A_SEED_ID, sid,
		      CPNS_SEED_ID_LEN, peer, pub, wrapped, code);
}

int cpns_seed_import(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t sid[CPNS_SEED_ID_LEN],
		     const uint8_t peer[CPNS_PUBKEY_LEN],
		     const uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t timeout,
		     int32_t *serial, uint32_t *code)
{
	return import(nl, CPNS_CMD_SEED_IMPORT, handle, CPNS_A_SEED_ID, sid,
		      CPNS_SEED_ID_LEN, peer, wrapped, timeout, serial, code);
}

int cpns_device_export(struct cpns_nl *nl,
		       const uint8_t did[CPNS_DEVICE_ID_LEN],
		       const uint8_t peer[CPNS_PUBKEY_LEN],
		       uint8_t pub[CPNS_PUBKEY_LEN],
		       uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t *code)
{
	return export(nl, CPNS_CMD_DEVICE_EXPORT, CPNS_A_DEVICE_ID, did,
		      CPNS_DEVICE_ID_LEN, peer, pub, wrapped, code);
}

int cpns_device_import(struct cpns_nl *nl, uint32_t handle,
		       const uint8_t did[CPNS_DEVICE_ID_LEN],
		       const uint8_t peer[CPNS_PUBKEY_LEN],
		       const uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t timeout,
		       int32_t *serial, uint32_t *code)
{
	return import(nl, CPNS_CMD_DEVICE_IMPORT, handle, CPNS_A_DEVICE_ID,
		      did, CPNS_DEVICE_ID_LEN, peer, wrapped, timeout, serial,
		      code);
}

/* ---------------------------------------------------------- flow II */

int cpns_assign_request(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
			uint8_t n1[CPNS_NONCE_LEN], uint8_t mac[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_SEED_ID, sid, CPNS_SEED_ID_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_REQUEST_NONCE, n1, CPNS_NONCE_LEN },
		{ CPNS_A_REQUEST_MAC, mac, CPNS_MAC_LEN },
	};

	return CALL(nl, CPNS_CMD_ASSIGN_REQUEST, p, w);
}

int cpns_assign_challenge(struct cpns_nl *nl,
			  const uint8_t sid[CPNS_SEED_ID_LEN],
			  const uint8_t n1[CPNS_NONCE_LEN],
			  const uint8_t mac[CPNS_MAC_LEN],
			  uint8_t ch[CPNS_CHALLENGE_LEN],
			  uint8_t ch_mac[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_SEED_ID, sid, CPNS_SEED_ID_LEN },
		{ CPNS_A_REQUEST_NONCE, n1, CPNS_NONCE_LEN },
		{ CPNS_A_REQUEST_MAC, mac, CPNS_MAC_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_CHALLENGE, ch, CPNS_CHALLENGE_LEN },
		{ CPNS_A_CHALLENGE_MAC, ch_mac, CPNS_MAC_LEN },
	};

	return CALL(nl, CPNS_CMD_ASSIGN_CHALLENGE, p, w);
}

int cpns_assign_derive(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
		       const uint8_t n1[CPNS_NONCE_LEN],
		       const uint8_t ch[CPNS_CHALLENGE_LEN],
		       const uint8_t ch_mac[CPNS_MAC_LEN],
		       uint8_t did[CPNS_DEVICE_ID_LEN], int32_t *serial)
{
	const struct cpns_put p[] = {
		{ CPNS_A_SEED_ID, sid, CPNS_SEED_ID_LEN },
		{ CPNS_A_REQUEST_NONCE, n1, CPNS_NONCE_LEN },
		{ CPNS_A_CHALLENGE, ch, CPNS_CHALLENGE_LEN },
		{ CPNS_A_CHALLENGE_MAC, ch_mac, CPNS_MAC_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
		{ CPNS_A_KEY_SERIAL, serial, 4 },
	};

	return CALL(nl, CPNS_CMD_ASSIGN_DERIVE, p, w);
}

int cpns_assign_confirm(struct cpns_nl *nl,
			const uint8_t did[CPNS_DEVICE_ID_LEN],
			const uint8_t n1[CPNS_NONCE_LEN],
			uint8_t code[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
		{ CPNS_A_REQUEST_NONCE, n1, CPNS_NONCE_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_CONFIRM, code, CPNS_MAC_LEN },
	};

	return CALL(nl, CPNS_CMD_ASSIGN_CONFIRM, p, w);
}

int cpns_assign_verify(struct cpns_nl *nl,
		       const uint8_t did[CPNS_DEVICE_ID_LEN],
		       const uint8_t code[CPNS_MAC_LEN], int32_t *serial,
		       uint8_t *state)
{
	uint8_t st;
	const struct cpns_put p[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
		{ CPNS_A_CONFIRM, code, CPNS_MAC_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_KEY_SERIAL, serial, 4 },
		{ CPNS_A_STATE, &st, 1 },
	};
	int ret = CALL(nl, CPNS_CMD_ASSIGN_VERIFY, p, w);

	if (!ret && state)
		*state = st;
	return ret;
}

/* ---------------------------------------------------------- flow a */

int cpns_auth_begin(struct cpns_nl *nl, const uint8_t did[CPNS_DEVICE_ID_LEN],
		    uint32_t *handle, uint8_t nc[CPNS_NONCE_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_HANDLE, handle, 4 },
		{ CPNS_A_CLIENT_NONCE, nc, CPNS_NONCE_LEN },
	};

	return CALL(nl, CPNS_CMD_AUTH_BEGIN, p, w);
}

int cpns_auth_challenge(struct cpns_nl *nl,
			const uint8_t did[CPNS_DEVICE_ID_LEN],
			const uint8_t nc[CPNS_NONCE_LEN], uint32_t *handle,
			uint8_t ns[CPNS_NONCE_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
		{ CPNS_A_CLIENT_NONCE, nc, CPNS_NONCE_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_HANDLE, handle, 4 },
		{ CPNS_A_SERVER_NONCE, ns, CPNS_NONCE_LEN },
	};

	return CALL(nl, CPNS_CMD_AUTH_CHALLENGE, p, w);
}

int cpns_auth_client(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t ns[CPNS_NONCE_LEN],
		     uint8_t client_mac[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
		{ CPNS_A_SERVER_NONCE, ns, CPNS_NONCE_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_CLIENT_MAC, client_mac, CPNS_MAC_LEN },
	};

	return CALL(nl, CPNS_CMD_AUTH_CLIENT, p, w);
}

int cpns_auth_server(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t client_mac[CPNS_MAC_LEN],
		     uint8_t server_mac[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
		{ CPNS_A_CLIENT_MAC, client_mac, CPNS_MAC_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_SERVER_MAC, server_mac, CPNS_MAC_LEN },
	};

	return CALL(nl, CPNS_CMD_AUTH_SERVER, p, w);
}

int cpns_auth_finish(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t server_mac[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
		{ CPNS_A_SERVER_MAC, server_mac, CPNS_MAC_LEN },
	};

	return cpns__call(nl, CPNS_CMD_AUTH_FINISH, p, CPNS_ARRAY_SIZE(p),
			  NULL, 0);
}

int cpns_session_del(struct cpns_nl *nl, uint32_t handle)
{
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
	};

	return cpns__call(nl, CPNS_CMD_SESSION_DEL, p, 1, NULL, 0);
}
