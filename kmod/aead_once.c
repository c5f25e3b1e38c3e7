// SPDX-License-Identifier: GPL-2.0
/*
 * SEAL and OPEN under a key that serves one operation: a stored blob's
 * wrapping key, a transferred key's. Such a key is derived afresh each
 * time, so no keyed transform can be kept for it; a transform is kept
 * instead, one per CPU, and keyed for each operation.
 *
 * Each slot holds its transform, a request and buffers for the operation's
 * data (the callers' may be on the stack, which a scatterlist may not
 * point into), all under the slot's mutex. A slot's transform and request
 * are made at the first operation on its CPU and kept until rmmod: no
 * allocation per operation. After each one the transform is keyed with
 * zeros and the buffers are wiped, so no key or plaintext outlives it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <crypto/aead.h>
#include <linux/cpns.h>

#include "aead_once.h"
#include "primitives.h"

struct cpns_once_slot {
	struct mutex lock;		/* everything below */
	struct crypto_aead *tfm;	/* NULL until the first operation */
	struct aead_request *req;
	u8 aad[CPNS_ONCE_AAD_MAX];
	u8 in[CPNS_ONCE_TEXT_MAX + CPNS_TAG_LEN];
	u8 out[CPNS_ONCE_TEXT_MAX + CPNS_TAG_LEN];
};

static struct cpns_once_slot **cpns_once_slots;	/* one per possible CPU */

static const u8 cpns_once_zero_key[CPNS_KEY_LEN];

int cpns_aead_once_init(void)
{
	struct cpns_once_slot *slot;
	unsigned int cpu;

	cpns_once_slots = kcalloc(nr_cpu_ids, sizeof(*cpns_once_slots),
				  GFP_KERNEL);
	if (!cpns_once_slots)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		slot = kzalloc(sizeof(*slot), GFP_KERNEL);
		if (!slot) {
			cpns_aead_once_exit();
			return -ENOMEM;
		}
		mutex_init(&slot->lock);
		cpns_once_slots[cpu] = slot;
	}
	return 0;
}

static void cpns_once_slot_drop(struct cpns_once_slot *slot)
{
	cpns_aead_req_free(slot->req);
	cpns_aead_free(slot->tfm);
	slot->req = NULL;
	slot->tfm = NULL;
}

void cpns_aead_once_exit(void)
{
	struct cpns_once_slot *slot;
	unsigned int cpu;

	if (!cpns_once_slots)
		return;
	for_each_possible_cpu(cpu) {
		slot = cpns_once_slots[cpu];
		if (!slot)
			continue;
		cpns_once_slot_drop(slot);
		mutex_destroy(&slot->lock);
		kfree_sensitive(slot);
	}
	kfree(cpns_once_slots);
	cpns_once_slots = NULL;
}

/* The slot's transform and request, made at its first use. */
static int cpns_once_slot_ready(struct cpns_once_slot *slot)
{
	struct crypto_aead *tfm;

	if (slot->tfm)
		return 0;
	tfm = cpns_aead_new(cpns_once_zero_key);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	slot->req = cpns_aead_req_new(tfm);
	if (!slot->req) {
		cpns_aead_free(tfm);
		return -ENOMEM;
	}
	slot->tfm = tfm;
	return 0;
}

/* The operation on a ready slot, its result in slot->out. */
static int cpns_once_run(struct cpns_once_slot *slot, bool enc,
			 const u8 *key, unsigned int aadlen,
			 unsigned int inlen)
{
	int ret;

	ret = crypto_aead_setkey(slot->tfm, key, CPNS_KEY_LEN);
	if (!ret && enc)
		ret = cpns_seal_req(slot->req, 0, slot->aad, aadlen, slot->in,
				    inlen, slot->out);
	else if (!ret)
		ret = cpns_open_req(slot->req, 0, slot->aad, aadlen, slot->in,
				    inlen, slot->out);
	/* A transform that cannot forget its key is not kept. */
	if (crypto_aead_setkey(slot->tfm, cpns_once_zero_key, CPNS_KEY_LEN))
		cpns_once_slot_drop(slot);
	return ret;
}

int cpns_aead_once(bool enc, const u8 *key, const u8 *aad,
		   unsigned int aadlen, const u8 *in, unsigned int inlen,
		   u8 *out)
{
	struct cpns_once_slot *slot;
	unsigned int outlen;
	int ret;

	if (aadlen > CPNS_ONCE_AAD_MAX ||
	    inlen > CPNS_ONCE_TEXT_MAX + (enc ? 0 : CPNS_TAG_LEN))
		return -EMSGSIZE;
	if (!enc && inlen < CPNS_TAG_LEN)
		return -EINVAL;
	outlen = enc ? inlen + CPNS_TAG_LEN : inlen - CPNS_TAG_LEN;

	/* Another CPU's slot after a migration is as good: it is locked. */
	slot = cpns_once_slots[raw_smp_processor_id()];
	mutex_lock(&slot->lock);
	ret = cpns_once_slot_ready(slot);
	if (!ret) {
		memcpy(slot->aad, aad, aadlen);
		memcpy(slot->in, in, inlen);
		ret = cpns_once_run(slot, enc, key, aadlen, inlen);
	}
	if (!ret)
		memcpy(out, slot->out, outlen);
	else if (!enc)
		memzero_explicit(out, outlen);
	memzero_explicit(slot->in, sizeof(slot->in));
	memzero_explicit(slot->out, sizeof(slot->out));
	mutex_unlock(&slot->lock);
	return ret;
}
