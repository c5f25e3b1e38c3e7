// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The sender's side of a transfer (export.h): export, then release for a
 * proof the kernel checks; and the receiver's MAC that such a proof is.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "export.h"

#define CALL(nl, cmd, p, w) \
	cpns__call(nl, cmd, p, CPNS_ARRAY_SIZE(p), w, CPNS_ARRAY_SIZE(w))

static int export(struct cpns_nl *nl, uint8_t cmd, uint16_t idtype,
		  const uint8_t *id, size_t idlen,
		  const uint8_t peer[CPNS_PUBKEY_LEN],
		  uint8_t pub[CPNS_PUBKEY_LEN], uint32_t *handle)
{
	const struct cpns_put p[] = {
		{ idtype, id, idlen },
		{ CPNS_A_PUBKEY, peer, CPNS_PUBKEY_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_HANDLE, handle, 4 },
		{ CPNS_A_PUBKEY, pub, CPNS_PUBKEY_LEN },
	};

	return CALL(nl, cmd, p, w);
}

int cpns_seed_export(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
		     const uint8_t peer[CPNS_PUBKEY_LEN],
		     uint8_t pub[CPNS_PUBKEY_LEN], uint32_t *handle)
{
	return export(nl, CPNS_CMD_SEED_EXPORT, CPNS_A_SEED_ID, sid,
		      CPNS_SEED_ID_LEN, peer, pub, handle);
}

int cpns_device_export(struct cpns_nl *nl,
		       const uint8_t did[CPNS_DEVICE_ID_LEN],
		       const uint8_t peer[CPNS_PUBKEY_LEN],
		       uint8_t pub[CPNS_PUBKEY_LEN], uint32_t *handle)
{
	return export(nl, CPNS_CMD_DEVICE_EXPORT, CPNS_A_DEVICE_ID, did,
		      CPNS_DEVICE_ID_LEN, peer, pub, handle);
}

static int release(struct cpns_nl *nl, uint32_t handle, uint16_t type,
		   const void *proof, size_t len,
		   const struct cpns_keyref *key,
		   uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t *code)
{
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
		{ type, proof, len },
		CPNS_PUT_KEYREF(key),
	};
	uint32_t c;
	const struct cpns_want w[] = {
		{ CPNS_A_WRAPPED, wrapped, CPNS_WRAPPED_LEN },
		{ CPNS_A_XFER_CODE, &c, 4 },
	};
	int ret = CALL(nl, CPNS_CMD_XFER_RELEASE, p, w);

	if (!ret && code)
		*code = c;
	return ret;
}

int cpns_xfer_release(struct cpns_nl *nl, uint32_t handle,
		      const struct cpns_proof *proof,
		      uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t *code)
{
	uint16_t type;
	int ret;

	switch (proof->kind) {
	case CPNS_PROOF_CODE:
		return release(nl, handle, CPNS_A_XFER_CODE, &proof->code, 4,
			       NULL, wrapped, code);
	case CPNS_PROOF_PAIR:
		type = CPNS_A_PAIR_MAC;
		break;
	case CPNS_PROOF_RECEIVER:
		type = CPNS_A_RECEIVER_MAC;
		break;
	default:
		return cpns__fail(nl, -EINVAL, "unknown proof kind %d",
				  (int)proof->kind);
	}
	ret = cpns__check_keyref(nl, proof->pair_key);
	if (ret)
		return ret;
	return release(nl, handle, type, proof->mac, CPNS_MAC_LEN,
		       proof->pair_key, wrapped, code);
}

/* XFER_ACCEPT: make the MAC of handle's key (pub NULL) or check mac_in. */
static int xfer_accept(struct cpns_nl *nl, unsigned int kind,
		       const struct cpns_keyref *pair_key, uint32_t handle,
		       const uint8_t *pub, const uint8_t *mac_in,
		       uint8_t *mac_out)
{
	uint8_t k = (uint8_t)kind;
	int ret;

	if (kind != CPNS_KEY_SEED && kind != CPNS_KEY_DEVICE)
		return cpns__fail(nl, -EINVAL,
				  "unknown key kind %u (1 seed, 2 device)", kind);
	ret = cpns__check_keyref(nl, pair_key);
	if (ret)
		return ret;
	{
		const struct cpns_put p[] = {
			{ CPNS_A_KEY_KIND, &k, 1 },
			CPNS_PUT_KEYREF(pair_key),
			{ CPNS_A_HANDLE, pub ? NULL : &handle, 4 },
			{ CPNS_A_PUBKEY, pub, CPNS_PUBKEY_LEN },
			{ CPNS_A_RECEIVER_MAC, mac_in, CPNS_MAC_LEN },
		};
		const struct cpns_want w[] = {
			{ CPNS_A_RECEIVER_MAC, mac_out, CPNS_MAC_LEN },
		};

		return cpns__call(nl, CPNS_CMD_XFER_ACCEPT, p,
				  CPNS_ARRAY_SIZE(p), w, mac_out ? 1 : 0);
	}
}

int cpns_xfer_accept(struct cpns_nl *nl, uint32_t handle, unsigned int kind,
		     const struct cpns_keyref *pair_key,
		     uint8_t mac[CPNS_MAC_LEN])
{
	return xfer_accept(nl, kind, pair_key, handle, NULL, NULL, mac);
}

int cpns_xfer_accept_check(struct cpns_nl *nl, unsigned int kind,
			   const struct cpns_keyref *pair_key,
			   const uint8_t pub[CPNS_PUBKEY_LEN],
			   const uint8_t mac[CPNS_MAC_LEN])
{
	return xfer_accept(nl, kind, pair_key, 0, pub, mac, NULL);
}

int cpns_xfer_local(struct cpns_nl *snd, struct cpns_nl *rcv, uint32_t rh,
		    unsigned int kind, const uint8_t *id,
		    const uint8_t rpub[CPNS_PUBKEY_LEN],
		    uint8_t spub[CPNS_PUBKEY_LEN],
		    uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t *code)
{
	struct cpns_proof proof = { .kind = CPNS_PROOF_CODE };
	uint32_t xh;
	int err;

	if (kind == CPNS_KEY_SEED)
		err = cpns_seed_export(snd, id, rpub, spub, &xh);
	else if (kind == CPNS_KEY_DEVICE)
		err = cpns_device_export(snd, id, rpub, spub, &xh);
	else
		err = cpns__fail(snd, -EINVAL,
				 "unknown key kind %u (1 seed, 2 device)",
				 kind);
	if (err)
		return err;
	err = cpns_xfer_code(rcv, rh, kind, id, spub, &proof.code);
	if (err) {
		cpns_session_del(snd, xh);
		return err;
	}
	return cpns_xfer_release(snd, xh, &proof, wrapped, code);
}
