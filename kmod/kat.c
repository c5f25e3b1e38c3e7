// SPDX-License-Identifier: GPL-2.0
/*
 * Known answers: cpns_kat_run() computes one CPNS-KA-1 vector through
 * profile.h (the KAT command uses it), and cpns_kat_selftest() checks, at
 * module load, the first vector of the profile's vectors.json and one
 * vector of Documentation/xfer-vectors.json (made by tools/xfer-vectors.py,
 * an implementation independent of this module) and one of
 * Documentation/rekey-vectors.json (tools/rekey-vectors.py), and (wrap.c)
 * one of Documentation/store-vectors.json. Like crypto/kdf_sp800108.c,
 * the module refuses to run if its crypto does not give the known answers.
 *
 * cpns_kat_xfer(), cpns_kat_rekey() and cpns_kat_store() run one vector of
 * each extension's file through the functions the protocol commands call
 * (the KAT_EXT command uses them): every vector of those files, compared
 * in userspace by cpnsctl kat.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/aead.h>
#include <crypto/algapi.h>
#include <linux/cpns.h>

#include "kat.h"
#include "primitives.h"
#include "profile.h"
#include "rekey.h"
#include "wrap.h"
#include "xfer.h"

/* The AEAD entries of the vector: SEAL(k_c2s, seq, kat_aad, kat_pt). */
#define KAT_PT_LEN	14
#define KAT_SEALED_LEN	(KAT_PT_LEN + CPNS_TAG_LEN)

struct cpns_kat_aead {
	u64 seq;
	u8 sealed[KAT_SEALED_LEN];
};

/* vectors.json, vector 0 */
static const struct cpns_kat_in kat_in = {
	.seed = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	},
	.sid = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	},
	.n1 = {
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	},
	.ch = {
		0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
		0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	},
	.nc = {
		0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
		0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
	},
	.ns = {
		0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
		0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	},
};

static const struct cpns_kat_out kat_out = {
	.ska = {
		0x21, 0x30, 0x56, 0xaa, 0xc7, 0xdc, 0x9e, 0x00,
		0xe8, 0xe2, 0xc8, 0xa9, 0x8b, 0x79, 0x0d, 0x56,
		0x63, 0x86, 0x65, 0xa4, 0x7c, 0xc6, 0x84, 0x92,
		0xd6, 0x86, 0x58, 0xec, 0x49, 0x96, 0x2a, 0x75,
	},
	.request_mac = {
		0xd4, 0x7d, 0xb2, 0xc8, 0xcc, 0x73, 0x24, 0x22,
		0xab, 0x1f, 0x7a, 0xd5, 0x1f, 0xfa, 0xf2, 0x0b,
		0xe9, 0x9f, 0xdf, 0x03, 0x29, 0x2b, 0xca, 0x8b,
		0xdb, 0x89, 0x5f, 0x1e, 0x76, 0xdd, 0x70, 0xed,
	},
	.challenge_mac = {
		0x54, 0xc5, 0xfd, 0x7b, 0x39, 0xc6, 0x4a, 0xf9,
		0xef, 0xc9, 0x78, 0x78, 0x22, 0x6d, 0x1d, 0xb4,
		0x8b, 0x3b, 0x4c, 0xf8, 0x90, 0xef, 0xef, 0xc3,
		0x70, 0x28, 0xf7, 0xfa, 0x9d, 0x85, 0x80, 0x73,
	},
	.did = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x6d, 0xb3, 0xd4, 0x07, 0x2e, 0xbb, 0xba, 0x20,
	},
	.dk = {
		0xbb, 0x09, 0xcd, 0xd6, 0x84, 0x5d, 0x20, 0xf3,
		0xfd, 0x89, 0xf1, 0xb2, 0xf5, 0xd0, 0x61, 0xa7,
		0x25, 0x59, 0xea, 0x0c, 0x5f, 0xce, 0x74, 0x7a,
		0xab, 0x4e, 0xc3, 0x0f, 0xe2, 0x24, 0x8c, 0xb8,
	},
	.confirm = {
		0x75, 0xf3, 0x90, 0x8f, 0x1f, 0x81, 0x82, 0x67,
		0x57, 0xc6, 0x05, 0x65, 0xf5, 0xa8, 0x5c, 0xb4,
		0x5e, 0x04, 0x5a, 0xb3, 0xa9, 0xb3, 0xc0, 0xbb,
		0xac, 0xe5, 0xc5, 0xdd, 0x86, 0xc5, 0xb2, 0xa4,
	},
	.client_mac = {
		0x5d, 0xb4, 0x0d, 0xbd, 0x24, 0x4c, 0x46, 0x36,
		0xcf, 0x71, 0x3f, 0x60, 0xe6, 0x77, 0xe3, 0x53,
		0x88, 0x86, 0x8e, 0xaf, 0x46, 0x20, 0xa7, 0xa8,
		0x90, 0x44, 0x2e, 0xe0, 0x5a, 0xd0, 0x67, 0x7c,
	},
	.server_mac = {
		0xc7, 0x2d, 0xdf, 0x85, 0x38, 0x9c, 0xdc, 0x11,
		0x7b, 0x54, 0xe2, 0xa9, 0x22, 0xee, 0x69, 0x5a,
		0x69, 0xa0, 0xc4, 0x9a, 0xdc, 0x2b, 0x7b, 0xb0,
		0x05, 0xf2, 0xed, 0xca, 0x6c, 0x81, 0x5b, 0x9e,
	},
	.sk = {
		.c2s = {
			0xcc, 0x5c, 0xc4, 0xf5, 0x03, 0xb2, 0x78, 0x3e,
			0x89, 0xfd, 0xe9, 0x24, 0x4e, 0xf8, 0x49, 0x51,
			0xf4, 0xe3, 0xec, 0x0e, 0x0f, 0xe5, 0xa9, 0x1f,
			0xdc, 0x88, 0x23, 0xd0, 0x51, 0xde, 0xd7, 0xe4,
		},
		.s2c = {
			0x97, 0xb9, 0x1b, 0xd0, 0xad, 0x32, 0xa7, 0x72,
			0x29, 0x77, 0x03, 0x5a, 0x8a, 0xde, 0xf1, 0xc8,
			0x86, 0x8b, 0x42, 0xd1, 0x33, 0x34, 0xac, 0x53,
			0x07, 0x75, 0xf6, 0xc2, 0xdc, 0x90, 0xf1, 0x54,
		},
	},
};

/* "cpns-signal" */
static const u8 kat_aad[] = {
	0x63, 0x70, 0x6e, 0x73, 0x2d, 0x73, 0x69, 0x67,
	0x6e, 0x61, 0x6c,
};

/* "status: online" */
static const u8 kat_pt[] = {
	0x73, 0x74, 0x61, 0x74, 0x75, 0x73, 0x3a, 0x20,
	0x6f, 0x6e, 0x6c, 0x69, 0x6e, 0x65,
};

static const struct cpns_kat_aead kat_aead[] = {
	{
		.seq = 0ULL,
		.sealed = {
			0xff, 0x75, 0x7c, 0x35, 0x58, 0x71, 0xe6, 0x4d,
			0xe5, 0xe4, 0x74, 0xe7, 0x77, 0xbb, 0x5b, 0x05,
			0x62, 0x4f, 0xde, 0x4d, 0xba, 0xf0, 0xfd, 0x1f,
			0x53, 0x33, 0x9c, 0x71, 0xb5, 0x3d,
		},
	},
	{
		.seq = 1ULL,
		.sealed = {
			0xdf, 0x67, 0xa5, 0xdd, 0xde, 0xdd, 0x67, 0x48,
			0x5f, 0xa4, 0x1c, 0x92, 0x39, 0xed, 0x47, 0xcb,
			0x23, 0xd0, 0xfc, 0xb5, 0x2f, 0x0c, 0x82, 0x61,
			0x82, 0x6b, 0x76, 0x50, 0x42, 0xce,
		},
	},
	{
		.seq = 4294967301ULL,
		.sealed = {
			0x30, 0x96, 0x16, 0xf0, 0xb2, 0xaa, 0x77, 0x32,
			0x9c, 0x09, 0x4d, 0xfe, 0x06, 0x33, 0xf2, 0x9b,
			0x2b, 0xb4, 0xc9, 0x02, 0xc3, 0x26, 0xd3, 0x91,
			0x3f, 0xe6, 0x5d, 0x03, 0xb8, 0xc5,
		},
	},
};

/* Documentation/xfer-vectors.json, vector 3 (device) */
#define KAT_XFER_KIND CPNS_KEY_DEVICE

static const u8 kat_xfer_id[] = {
	0x0a, 0x5d, 0xeb, 0x73, 0xd4, 0xdb, 0x55, 0xa8,
	0x29, 0x60, 0xcc, 0x98, 0xf1, 0x3e, 0x37, 0xae,
};

static const u8 kat_xfer_sender_secret[] = {
	0xcb, 0x0e, 0x7d, 0x2d, 0xfc, 0xc4, 0x24, 0xc2,
	0x32, 0xfd, 0xfe, 0x99, 0xcf, 0x67, 0x65, 0x32,
	0xf4, 0x84, 0xab, 0xbd, 0xd1, 0x1e, 0x62, 0x01,
	0xba, 0x65, 0x49, 0x30, 0x58, 0xe7, 0xf0, 0x21,
};

static const u8 kat_xfer_receiver_secret[] = {
	0xc3, 0xcb, 0xb1, 0x51, 0x0c, 0x18, 0xce, 0xfd,
	0x9c, 0x5b, 0x82, 0xe9, 0x9e, 0x3a, 0x52, 0x1a,
	0x42, 0xe8, 0x41, 0x1f, 0xd2, 0x0b, 0x7a, 0x9f,
	0xf1, 0xc1, 0x6d, 0xb7, 0x0b, 0xfc, 0xe5, 0x54,
};

static const u8 kat_xfer_key[] = {
	0x34, 0x35, 0xa3, 0xb6, 0x69, 0xcf, 0x37, 0x45,
	0xcb, 0x1c, 0x5f, 0x51, 0x90, 0xc4, 0x6d, 0xe7,
	0x20, 0x85, 0x93, 0xf0, 0x81, 0x3a, 0x3e, 0x28,
	0x2c, 0x64, 0x5b, 0xf2, 0xc1, 0xef, 0x3c, 0x02,
};

static const u8 kat_xfer_sender_public[] = {
	0x37, 0x30, 0x90, 0xaf, 0x37, 0xc9, 0xe1, 0x01,
	0x27, 0xee, 0xbd, 0xe9, 0x9b, 0xdd, 0x49, 0xd3,
	0xca, 0x58, 0x04, 0x2d, 0x4c, 0x56, 0x2f, 0x6b,
	0x14, 0xd9, 0x5a, 0xf3, 0x38, 0x7f, 0xea, 0x0a,
};

static const u8 kat_xfer_receiver_public[] = {
	0x77, 0xbe, 0x32, 0x9e, 0x2e, 0xd9, 0x18, 0xc2,
	0xe7, 0xe1, 0x5b, 0x93, 0xe7, 0xaf, 0x30, 0x11,
	0x70, 0x79, 0x13, 0xe9, 0xbb, 0x8f, 0x56, 0xcd,
	0xda, 0xe2, 0x8a, 0x17, 0x7a, 0x8c, 0x34, 0x4e,
};

static const u8 kat_xfer_wrapped[] = {
	0xb1, 0x56, 0x40, 0xbd, 0xfc, 0xf8, 0x9b, 0x2d,
	0x23, 0x59, 0xfb, 0xf2, 0x31, 0xce, 0xe5, 0x74,
	0x40, 0x95, 0x99, 0xa8, 0x1a, 0xf4, 0xd0, 0xd3,
	0x58, 0x17, 0x9b, 0xc7, 0x3e, 0x32, 0xcb, 0xdb,
	0x88, 0x95, 0xec, 0x4a, 0x17, 0x55, 0xc1, 0x93,
	0xdf, 0xd0, 0x93, 0xdd, 0xdf, 0xd3, 0x39, 0x6d,
};

static const u8 kat_xfer_pair_key[] = {
	0x37, 0xe7, 0x18, 0xfe, 0x77, 0xed, 0xeb, 0x30,
	0x02, 0xb1, 0xea, 0xee, 0x96, 0x82, 0x58, 0x2e,
	0x80, 0x55, 0x2c, 0x32, 0xaa, 0x65, 0x6f, 0xf6,
	0xb6, 0x06, 0xc9, 0xc6, 0x08, 0xe7, 0x09, 0x90,
};

static const u8 kat_xfer_pair_mac[] = {
	0x61, 0xe4, 0x2a, 0xd4, 0xe8, 0x24, 0xa7, 0xca,
	0x5c, 0xed, 0xb2, 0x9e, 0xc3, 0xd9, 0xf7, 0xb7,
	0x1f, 0x4d, 0xfb, 0xd0, 0xa5, 0x8f, 0xe9, 0x75,
	0x5c, 0x2c, 0x22, 0x62, 0x5b, 0x9e, 0x27, 0x0f,
};

#define KAT_XFER_CODE 561359

/* Documentation/rekey-vectors.json, vector 1 (made-up-1) */
static const u8 kat_rekey_did[] = {
	0xa0, 0xf8, 0xd7, 0x63, 0x58, 0x14, 0x3f, 0x0a,
	0x8d, 0x3d, 0xd4, 0xa8, 0x7e, 0xb9, 0x0e, 0x6b,
};

static const u8 kat_rekey_dk[] = {
	0x3f, 0x06, 0xeb, 0x07, 0x45, 0x98, 0xa5, 0xbb,
	0xb7, 0x24, 0x08, 0x9a, 0xc3, 0x18, 0x34, 0x45,
	0xeb, 0x9d, 0xe2, 0x65, 0x6c, 0xfb, 0x84, 0x0a,
	0xf9, 0xcb, 0xb6, 0x27, 0x7b, 0xca, 0x24, 0xf3,
};

static const u8 kat_rekey_nc[] = {
	0x88, 0x34, 0x2b, 0x8a, 0x5f, 0x83, 0x4a, 0xf6,
	0x3c, 0x65, 0x6b, 0xcd, 0x40, 0xea, 0xb7, 0x70,
};

static const u8 kat_rekey_ns[] = {
	0x0d, 0x7f, 0x58, 0x37, 0x22, 0xf3, 0x63, 0x64,
	0x12, 0xd0, 0xaf, 0xde, 0xfd, 0xa7, 0x0e, 0x21,
};

static const u8 kat_rekey_client_secret[] = {
	0xfa, 0x51, 0xa5, 0x0e, 0xe1, 0xa9, 0x6c, 0x19,
	0xab, 0x53, 0xe1, 0x7b, 0xe0, 0xd6, 0x74, 0x3f,
	0x7e, 0x9a, 0x77, 0x42, 0x07, 0x46, 0x2a, 0x1a,
	0x32, 0x5f, 0xe0, 0xfa, 0x2b, 0x3a, 0x73, 0x79,
};

static const u8 kat_rekey_server_secret[] = {
	0x5b, 0x25, 0x78, 0xb3, 0x93, 0x48, 0x2e, 0xa6,
	0x41, 0x8e, 0x7c, 0x91, 0xcd, 0x31, 0xba, 0x0c,
	0xef, 0x82, 0x3b, 0xf3, 0x70, 0xdd, 0x72, 0x35,
	0xb1, 0x0e, 0x82, 0x6e, 0x52, 0xd4, 0x6b, 0x9b,
};

static const u8 kat_rekey_client_public[] = {
	0x53, 0xf8, 0xc2, 0xc3, 0x9f, 0xb8, 0x95, 0xd7,
	0x52, 0x41, 0x54, 0xf3, 0xd4, 0xeb, 0x38, 0xb3,
	0xa7, 0xf3, 0x3c, 0x5b, 0xde, 0x4c, 0x77, 0xff,
	0x65, 0x59, 0xdf, 0x08, 0xeb, 0x7c, 0x75, 0x77,
};

static const u8 kat_rekey_server_public[] = {
	0xbe, 0x92, 0x09, 0xde, 0x50, 0xaa, 0x35, 0x78,
	0x19, 0x66, 0xdf, 0x56, 0x85, 0xda, 0x5d, 0x60,
	0xde, 0x50, 0x7e, 0x03, 0xcf, 0x18, 0xf7, 0xec,
	0x37, 0x17, 0x84, 0x8d, 0xf3, 0xf2, 0xb0, 0x43,
};

static const u8 kat_rekey_client_mac[] = {
	0x08, 0x90, 0xa3, 0x66, 0x47, 0xcf, 0x88, 0xc8,
	0xad, 0xad, 0x00, 0xe8, 0x26, 0x97, 0xd9, 0x42,
	0x07, 0x41, 0x56, 0x49, 0x9a, 0x9e, 0xab, 0xba,
	0x83, 0x2b, 0x4d, 0x2a, 0xd7, 0xd4, 0x9b, 0x42,
};

static const u8 kat_rekey_server_mac[] = {
	0xac, 0x9c, 0xdb, 0x97, 0xa0, 0x90, 0xa0, 0xda,
	0x25, 0x95, 0x45, 0xb2, 0x14, 0x41, 0x6e, 0x40,
	0xc6, 0x35, 0x8b, 0x40, 0xbe, 0x65, 0x20, 0x48,
	0x7a, 0x38, 0xda, 0x41, 0xb1, 0x77, 0xe8, 0x42,
};

static const u8 kat_rekey_new_dk[] = {
	0x0f, 0xeb, 0x50, 0x6a, 0x0f, 0xc6, 0x04, 0xbb,
	0x03, 0x9a, 0x6e, 0x02, 0x43, 0x16, 0x33, 0x22,
	0x4f, 0xe1, 0xa3, 0x4f, 0xa9, 0xba, 0x48, 0xf3,
	0xb1, 0x0d, 0x4d, 0xda, 0x51, 0x9f, 0x58, 0xa8,
};

static const u8 kat_rekey_c2s[] = {
	0x77, 0xfa, 0x81, 0xbb, 0x75, 0x80, 0x27, 0xe1,
	0x03, 0xb7, 0xa9, 0xf9, 0x80, 0x29, 0x60, 0xac,
	0x28, 0x37, 0x7a, 0x05, 0x07, 0xca, 0xf6, 0x5e,
	0x71, 0x08, 0xeb, 0x30, 0xf5, 0x05, 0xb1, 0xe0,
};

static const u8 kat_rekey_s2c[] = {
	0xb8, 0x8f, 0x93, 0x23, 0x8c, 0x39, 0x9b, 0x6f,
	0xb1, 0x48, 0xfd, 0x83, 0x1b, 0xdb, 0x27, 0x28,
	0xb1, 0xa2, 0x37, 0x69, 0x6a, 0xb4, 0x53, 0xaf,
	0xc6, 0xf4, 0x06, 0x8a, 0x6a, 0x82, 0xe9, 0x38,
};

#define KAT_REKEY_GENERATION 0

int cpns_kat_run(const struct cpns_kat_in *in, struct cpns_kat_out *out)
{
	int ret;

	memset(out, 0, sizeof(*out));

	ret = cpns_seed_auth_key(in->seed, in->sid, out->ska);
	if (ret)
		goto err;
	ret = cpns_assign_request_mac(out->ska, in->sid, in->n1,
				      out->request_mac);
	if (ret)
		goto err;
	ret = cpns_assign_challenge_mac(out->ska, in->sid, in->n1, in->ch,
					out->challenge_mac);
	if (ret)
		goto err;
	ret = cpns_device_id(in->seed, in->sid, in->ch, out->did);
	if (ret)
		goto err;
	ret = cpns_device_key(in->seed, out->did, out->dk);
	if (ret)
		goto err;
	ret = cpns_assign_confirm(out->dk, out->did, in->ch, out->confirm);
	if (ret)
		goto err;
	ret = cpns_auth_client_mac(out->dk, out->did, in->nc, in->ns,
				   out->client_mac);
	if (ret)
		goto err;
	ret = cpns_auth_server_mac(out->dk, out->did, in->nc, in->ns,
				   out->server_mac);
	if (ret)
		goto err;
	ret = cpns_session_keys(out->dk, out->did, in->nc, in->ns, &out->sk);
	if (ret)
		goto err;
	return 0;

err:
	memzero_explicit(out, sizeof(*out));
	return ret;
}

int cpns_kat_xfer(struct cpns_kat_xfer *x)
{
	u32 import_code;
	int ret;

	/* XFER_NEW's public key, from the vector's secret. */
	ret = cpns_x25519(x->receiver_secret, NULL, x->receiver_pub, NULL);
	if (ret)
		return ret;
	ret = cpns_xfer_wrap(x->kind, x->id, x->sender_secret,
			     x->receiver_pub, x->key, x->sender_pub,
			     x->wrapped, &x->code);
	if (ret)
		return ret;
	ret = cpns_xfer_code(x->kind, x->id, x->receiver_secret,
			     x->sender_pub, &x->receiver_code);
	if (ret)
		return ret;
	ret = cpns_xfer_unwrap(x->kind, x->id, x->receiver_secret,
			       x->sender_pub, x->wrapped, x->unwrapped,
			       &import_code);
	if (ret)
		return ret;
	if (import_code != x->receiver_code)
		return -EBADMSG;
	return cpns_xfer_pair_mac(x->pair_key, x->pair_keylen, x->kind, x->id,
				  x->sender_pub, x->receiver_pub, x->pair_mac);
}

int cpns_kat_rekey(struct cpns_kat_rekey *r)
{
	int ret;

	if (r->gen == U32_MAX)
		return -EOVERFLOW;
	r->new_gen = r->gen + 1;

	/* The key pairs AUTH_BEGIN and AUTH_CHALLENGE would have made. */
	ret = cpns_x25519(r->client_secret, NULL, r->pc, NULL);
	ret = ret ?: cpns_x25519(r->server_secret, NULL, r->ps, NULL);
	/* The server's end (AUTH_CHALLENGE), then the client's (AUTH_CLIENT). */
	ret = ret ?: cpns_rekey_shared(r->server_secret, r->pc, r->shared_s);
	ret = ret ?: cpns_rekey_shared(r->client_secret, r->ps, r->shared_c);
	ret = ret ?: cpns_rekey_client_mac(r->dk, r->did, r->nc, r->ns, r->pc,
					   r->ps, r->client_mac);
	ret = ret ?: cpns_rekey_server_mac(r->dk, r->did, r->nc, r->ns, r->pc,
					   r->ps, r->server_mac);
	ret = ret ?: cpns_rekey_derive(r->dk, r->did, r->new_gen, r->nc, r->ns,
				       r->pc, r->ps, r->shared_s, r->new_dk);
	ret = ret ?: cpns_rekey_derive(r->dk, r->did, r->new_gen, r->nc, r->ns,
				       r->pc, r->ps, r->shared_c, r->client_dk);
	if (ret)
		return ret;
	if (crypto_memneq(r->new_dk, r->client_dk, CPNS_KEY_LEN))
		return -EBADMSG;
	return cpns_session_keys(r->new_dk, r->did, r->nc, r->ns, &r->sk);
}

int cpns_kat_store(struct cpns_kat_store *s)
{
	int ret;

	ret = cpns_blob_wrap(s->kek, s->keklen, &s->meta, s->key, s->created,
			     s->salt, s->label, s->labellen, s->blob,
			     &s->bloblen);
	if (ret)
		return ret;
	return cpns_blob_unwrap(s->kek, s->keklen, s->blob, s->bloblen,
				s->label, s->labellen, &s->got, s->got_key,
				&s->got_created);
}

static int kat_check(const char *what, const void *got, const void *want,
		     size_t len)
{
	if (!crypto_memneq(got, want, len))
		return 0;
	pr_err("self-test: %s differs from the known answer\n", what);
	return -EBADMSG;
}

#define KAT_CHECK(what, got, want)					\
	kat_check(what, got, want, sizeof(want))

static int kat_selftest_profile(struct cpns_kat_out *out)
{
	int ret;

	ret = cpns_kat_run(&kat_in, out);
	if (ret) {
		pr_err("self-test: computing the profile vector: %d\n", ret);
		return ret;
	}
	ret = KAT_CHECK("seed_auth_key", out->ska, kat_out.ska);
	ret = ret ?: KAT_CHECK("assign_request_mac", out->request_mac,
			       kat_out.request_mac);
	ret = ret ?: KAT_CHECK("assign_challenge_mac", out->challenge_mac,
			       kat_out.challenge_mac);
	ret = ret ?: KAT_CHECK("device_id", out->did, kat_out.did);
	ret = ret ?: KAT_CHECK("device_key", out->dk, kat_out.dk);
	ret = ret ?: KAT_CHECK("assign_confirm", out->confirm,
			       kat_out.confirm);
	ret = ret ?: KAT_CHECK("auth_client_mac", out->client_mac,
			       kat_out.client_mac);
	ret = ret ?: KAT_CHECK("auth_server_mac", out->server_mac,
			       kat_out.server_mac);
	ret = ret ?: KAT_CHECK("session_key_c2s", out->sk.c2s,
			       kat_out.sk.c2s);
	ret = ret ?: KAT_CHECK("session_key_s2c", out->sk.s2c,
			       kat_out.sk.s2c);
	return ret;
}

/* SEAL gives the known answer, OPEN inverts it, and refuses a forgery. */
static int kat_selftest_aead(const u8 *key)
{
	u8 buf[KAT_SEALED_LEN], pt[KAT_PT_LEN];
	struct crypto_aead *tfm;
	unsigned int i;
	int ret;

	BUILD_BUG_ON(sizeof(kat_pt) != KAT_PT_LEN);

	tfm = cpns_aead_new(key);
	if (IS_ERR(tfm)) {
		pr_err("self-test: gcm(aes): %ld\n", PTR_ERR(tfm));
		return PTR_ERR(tfm);
	}

	for (i = 0; i < ARRAY_SIZE(kat_aead); i++) {
		const struct cpns_kat_aead *a = &kat_aead[i];

		ret = cpns_seal(tfm, a->seq, kat_aad, sizeof(kat_aad),
				kat_pt, sizeof(kat_pt), buf);
		if (ret) {
			pr_err("self-test: aead[%u]: seal: %d\n", i, ret);
			goto out;
		}
		ret = KAT_CHECK("aead sealed", buf, a->sealed);
		if (ret)
			goto out;

		ret = cpns_open(tfm, a->seq, kat_aad, sizeof(kat_aad),
				a->sealed, sizeof(a->sealed), pt);
		if (ret) {
			pr_err("self-test: aead[%u]: open: %d\n", i, ret);
			goto out;
		}
		ret = KAT_CHECK("aead opened", pt, kat_pt);
		if (ret)
			goto out;

		/* One flipped bit, in the ciphertext then in the tag. */
		buf[i] ^= 0x01;
		ret = cpns_open(tfm, a->seq, kat_aad, sizeof(kat_aad),
				buf, sizeof(buf), pt);
		buf[i] ^= 0x01;
		if (ret != -EBADMSG)
			goto err_forged;
		buf[KAT_PT_LEN + i] ^= 0x80;
		ret = cpns_open(tfm, a->seq, kat_aad, sizeof(kat_aad),
				buf, sizeof(buf), pt);
		buf[KAT_PT_LEN + i] ^= 0x80;
		if (ret != -EBADMSG)
			goto err_forged;
		/* The right bytes under another sequence number. */
		ret = cpns_open(tfm, a->seq + 1, kat_aad, sizeof(kat_aad),
				buf, sizeof(buf), pt);
		if (ret != -EBADMSG)
			goto err_forged;
		if (memchr_inv(pt, 0, sizeof(pt))) {
			pr_err("self-test: aead[%u]: failed open left output\n",
			       i);
			ret = -EBADMSG;
			goto out;
		}
	}
	ret = 0;
	goto out;

err_forged:
	pr_err("self-test: aead[%u]: a forged message did not fail: %d\n",
	       i, ret);
	ret = -EBADMSG;
out:
	cpns_aead_free(tfm);
	return ret;
}

/*
 * The transfer vector through cpns_kat_xfer() (both ends and the pairing
 * MAC, as KAT_EXT runs it), its wrapped key opened, a forgery, a low-order
 * key, a keypair.
 */
/* Buffers of the transfer self-test. */
struct kat_xfer_buf {
	struct cpns_kat_xfer k;
	u8 pub[CPNS_PUBKEY_LEN];
	u8 wrapped[CPNS_WRAPPED_LEN];
	u8 key[CPNS_KEY_LEN];
	u8 a_secret[CPNS_PUBKEY_LEN];
	u8 a_pub[CPNS_PUBKEY_LEN];
	u8 b_secret[CPNS_PUBKEY_LEN];
	u8 b_pub[CPNS_PUBKEY_LEN];
};

/* The transfer vector through cpns_kat_xfer(). */
static int kat_selftest_xfer_vector(struct kat_xfer_buf *x)
{
	int ret;

	x->k.kind = KAT_XFER_KIND;
	memcpy(x->k.id, kat_xfer_id, sizeof(kat_xfer_id));
	memcpy(x->k.sender_secret, kat_xfer_sender_secret, CPNS_PUBKEY_LEN);
	memcpy(x->k.receiver_secret, kat_xfer_receiver_secret,
	       CPNS_PUBKEY_LEN);
	memcpy(x->k.key, kat_xfer_key, CPNS_KEY_LEN);
	x->k.pair_key = kat_xfer_pair_key;
	x->k.pair_keylen = sizeof(kat_xfer_pair_key);
	ret = cpns_kat_xfer(&x->k);
	if (ret) {
		pr_err("self-test: xfer: %d\n", ret);
		return ret;
	}
	ret = KAT_CHECK("xfer sender_public", x->k.sender_pub,
			kat_xfer_sender_public);
	ret = ret ?: KAT_CHECK("xfer receiver_public", x->k.receiver_pub,
			       kat_xfer_receiver_public);
	ret = ret ?: KAT_CHECK("xfer wrapped", x->k.wrapped, kat_xfer_wrapped);
	ret = ret ?: KAT_CHECK("xfer receiver's key", x->k.unwrapped,
			       kat_xfer_key);
	ret = ret ?: KAT_CHECK("xfer pair_mac", x->k.pair_mac,
			       kat_xfer_pair_mac);
	if (!ret && (x->k.code != KAT_XFER_CODE ||
		     x->k.receiver_code != KAT_XFER_CODE)) {
		pr_err("self-test: xfer codes %06u and %06u, known answer %06u\n",
		       x->k.code, x->k.receiver_code, KAT_XFER_CODE);
		ret = -EBADMSG;
	}
	return ret;
}

/*
 * cpns_xfer_unwrap() on the vector's wrapped key, then on a forged one;
 * cpns_xfer_wrap() refuses a key of small order.
 */
static int kat_selftest_xfer_refusals(struct kat_xfer_buf *x)
{
	u32 code;
	int ret;

	memcpy(x->wrapped, x->k.wrapped, CPNS_WRAPPED_LEN);
	ret = cpns_xfer_unwrap(KAT_XFER_KIND, kat_xfer_id,
			       kat_xfer_receiver_secret, kat_xfer_sender_public,
			       kat_xfer_wrapped, x->key, &code);
	if (ret) {
		pr_err("self-test: xfer unwrap: %d\n", ret);
		return ret;
	}
	ret = KAT_CHECK("xfer unwrapped key", x->key, kat_xfer_key);
	if (!ret && code != KAT_XFER_CODE) {
		pr_err("self-test: xfer unwrap code %06u, known answer %06u\n",
		       code, KAT_XFER_CODE);
		ret = -EBADMSG;
	}
	if (ret)
		return ret;

	x->wrapped[CPNS_WRAPPED_LEN - 1] ^= 0x01;
	ret = cpns_xfer_unwrap(KAT_XFER_KIND, kat_xfer_id,
			       kat_xfer_receiver_secret, kat_xfer_sender_public,
			       x->wrapped, x->key, &code);
	if (ret != -EBADMSG) {
		pr_err("self-test: xfer: a forged blob did not fail: %d\n",
		       ret);
		return -EBADMSG;
	}

	/* u = 0 is a point of small order (RFC 7748, section 6.1). */
	memset(x->pub, 0, sizeof(x->pub));
	ret = cpns_xfer_wrap(KAT_XFER_KIND, kat_xfer_id, kat_xfer_sender_secret,
			     x->pub, kat_xfer_key, x->a_pub, x->wrapped, &code);
	if (ret != -EKEYREJECTED) {
		pr_err("self-test: xfer: a low-order key was not refused: %d\n",
		       ret);
		return -EBADMSG;
	}
	return 0;
}

/* Two fresh key pairs agree with each other. */
static int kat_selftest_xfer_fresh(struct kat_xfer_buf *x)
{
	u32 code, code2;
	int ret;

	ret = cpns_xfer_keypair(x->a_secret, x->a_pub);
	ret = ret ?: cpns_xfer_keypair(x->b_secret, x->b_pub);
	ret = ret ?: cpns_xfer_wrap(KAT_XFER_KIND, kat_xfer_id, x->a_secret,
				    x->b_pub, kat_xfer_key, x->pub,
				    x->wrapped, &code);
	if (ret) {
		pr_err("self-test: xfer with fresh key pairs: %d\n", ret);
		return ret;
	}
	ret = KAT_CHECK("xfer fresh sender_public", x->pub, x->a_pub);
	if (ret)
		return ret;
	ret = cpns_xfer_unwrap(KAT_XFER_KIND, kat_xfer_id, x->b_secret,
			       x->a_pub, x->wrapped, x->key, &code2);
	if (ret) {
		pr_err("self-test: xfer unwrap with fresh key pairs: %d\n",
		       ret);
		return ret;
	}
	ret = KAT_CHECK("xfer fresh unwrapped key", x->key, kat_xfer_key);
	if (!ret && code != code2) {
		pr_err("self-test: xfer codes of the two ends differ\n");
		ret = -EBADMSG;
	}
	return ret;
}

static int kat_selftest_xfer(void)
{
	struct kat_xfer_buf *x;
	int ret;

	BUILD_BUG_ON(sizeof(kat_xfer_id) != CPNS_DEVICE_ID_LEN);
	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	ret = kat_selftest_xfer_vector(x);
	ret = ret ?: kat_selftest_xfer_refusals(x);
	ret = ret ?: kat_selftest_xfer_fresh(x);
	kfree_sensitive(x);
	return ret;
}

/*
 * The re-key vector through cpns_kat_rekey() (both ends, as KAT_EXT runs
 * it): public keys, the re-keying a-1 and a-3 codes, the new Device Key
 * (the same at both ends) and the session keys derived from it; and a
 * low-order peer key refused.
 */
static int kat_selftest_rekey(void)
{
	struct cpns_kat_rekey *r;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;

	memcpy(r->did, kat_rekey_did, CPNS_DEVICE_ID_LEN);
	memcpy(r->dk, kat_rekey_dk, CPNS_KEY_LEN);
	r->gen = KAT_REKEY_GENERATION;
	memcpy(r->nc, kat_rekey_nc, CPNS_NONCE_LEN);
	memcpy(r->ns, kat_rekey_ns, CPNS_NONCE_LEN);
	memcpy(r->client_secret, kat_rekey_client_secret, CPNS_PUBKEY_LEN);
	memcpy(r->server_secret, kat_rekey_server_secret, CPNS_PUBKEY_LEN);
	ret = cpns_kat_rekey(r);
	if (ret) {
		pr_err("self-test: rekey: %d\n", ret);
		goto out;
	}
	ret = KAT_CHECK("rekey client_public", r->pc, kat_rekey_client_public);
	ret = ret ?: KAT_CHECK("rekey server_public", r->ps,
			       kat_rekey_server_public);
	ret = ret ?: KAT_CHECK("rekey auth_client_mac", r->client_mac,
			       kat_rekey_client_mac);
	ret = ret ?: KAT_CHECK("rekey auth_server_mac", r->server_mac,
			       kat_rekey_server_mac);
	ret = ret ?: KAT_CHECK("rekey new_device_key", r->new_dk,
			       kat_rekey_new_dk);
	ret = ret ?: KAT_CHECK("rekey session_key_c2s", r->sk.c2s,
			       kat_rekey_c2s);
	ret = ret ?: KAT_CHECK("rekey session_key_s2c", r->sk.s2c,
			       kat_rekey_s2c);
	if (!ret && r->new_gen != KAT_REKEY_GENERATION + 1) {
		pr_err("self-test: rekey: new generation %u\n", r->new_gen);
		ret = -EBADMSG;
	}
	if (ret)
		goto out;

	/* u = 0 is a point of small order (RFC 7748, section 6.1). */
	memset(r->pc, 0, sizeof(r->pc));
	ret = cpns_rekey_shared(kat_rekey_server_secret, r->pc, r->shared_s);
	if (ret != -EKEYREJECTED) {
		pr_err("self-test: rekey: a low-order key was not refused: %d\n",
		       ret);
		ret = -EBADMSG;
		goto out;
	}
	ret = 0;
out:
	kfree_sensitive(r);
	return ret;
}

int cpns_kat_selftest(void)
{
	struct cpns_kat_out *out;
	int ret;

	out = kzalloc(sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;

	ret = kat_selftest_profile(out);
	if (!ret)
		ret = kat_selftest_aead(out->sk.c2s);
	if (!ret)
		ret = kat_selftest_xfer();
	if (!ret)
		ret = kat_selftest_rekey();
	if (!ret)
		ret = cpns_wrap_selftest();

	kfree_sensitive(out);
	if (!ret)
		pr_debug("self-test passed\n");
	return ret;
}
