// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The key-lifecycle commands the gateway uses (lib/nl/keyops.h), for the
 * Device Key it holds or receives: II-9's comparison code before the
 * import (XFER_CODE) and GW2's pairing MAC (XFER_PAIR), and GW2's store
 * (KEY_WRAP, KEY_UNWRAP). Every value here is public or sealed: the
 * kernel keeps the keys.
 */
#include <errno.h>
#include <string.h>

#include "gwd.h"
#include "keyops.h"

int gwd_xfer_code(struct cpns_nl *nl, uint32_t handle,
		  const uint8_t did[CPNS_DEVICE_ID_LEN],
		  const uint8_t sender_pub[CPNS_PUBKEY_LEN], uint32_t *code)
{
	return cpns_xfer_code(nl, handle, CPNS_KEY_DEVICE, did, sender_pub,
			      code);
}

int gwd_xfer_pair(struct cpns_nl *nl, const struct gwd_keyref *key,
		  uint32_t handle, const uint8_t did[CPNS_DEVICE_ID_LEN],
		  const uint8_t sender_pub[CPNS_PUBKEY_LEN],
		  const uint8_t receiver_pub[CPNS_PUBKEY_LEN],
		  uint8_t mac[CPNS_MAC_LEN])
{
	struct cpns_keyref ref = { .type = key->type, .desc = key->desc };

	return cpns_xfer_pair(nl, &ref, CPNS_KEY_DEVICE, did, sender_pub,
			      receiver_pub, handle, NULL, mac);
}

int gwd_key_wrap(struct cpns_nl *nl, const struct gwd_keyref *kek,
		 const char *label, const uint8_t did[CPNS_DEVICE_ID_LEN],
		 uint8_t *blob, size_t *len)
{
	struct cpns_keyref ref = { .type = kek->type, .desc = kek->desc };

	return cpns_key_wrap(nl, CPNS_KEY_DEVICE, did, &ref, label,
			     strlen(label), blob, len);
}

int gwd_key_unwrap(struct cpns_nl *nl, const struct gwd_keyref *kek,
		   const char *label, const uint8_t *blob, size_t len,
		   uint8_t did[CPNS_DEVICE_ID_LEN], uint32_t *generation,
		   int32_t *serial)
{
	struct cpns_keyref ref = { .type = kek->type, .desc = kek->desc };
	struct cpns_unwrapped u;
	int ret;

	memset(&u, 0, sizeof(u));
	ret = cpns_key_unwrap(nl, blob, len, &ref, label, strlen(label), &u);
	if (ret)
		return ret;
	if (u.kind != CPNS_KEY_DEVICE) {
		/* Not ours to keep: a seed in a gateway's store. */
		cpns_key_del_seed(nl, u.id);
		return -EKEYREJECTED;
	}
	memcpy(did, u.id, CPNS_DEVICE_ID_LEN);
	*generation = u.generation;
	*serial = u.serial;
	return 0;
}
