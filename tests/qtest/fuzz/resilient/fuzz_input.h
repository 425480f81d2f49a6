/*
 * Reading a libFuzzer input as a stream of typed values
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Past the end, every read gives zeros: each input decodes to something,
 * so the fuzzer never wastes executions on inputs that are too short.
 */

#ifndef RESILIENT_FUZZ_INPUT_H
#define RESILIENT_FUZZ_INPUT_H

typedef struct FuzzInput {
    const uint8_t *data;
    size_t size;
    size_t pos;
} FuzzInput;

static inline bool fuzz_input_done(const FuzzInput *in)
{
    return in->pos >= in->size;
}

static inline uint64_t fuzz_input_bytes(FuzzInput *in, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        uint64_t b = in->pos < in->size ? in->data[in->pos] : 0;

        in->pos++;
        v |= b << (8 * i);
    }
    return v;
}

static inline uint8_t fuzz_input_u8(FuzzInput *in)
{
    return fuzz_input_bytes(in, 1);
}

static inline uint32_t fuzz_input_u32(FuzzInput *in)
{
    return fuzz_input_bytes(in, 4);
}

static inline uint64_t fuzz_input_u64(FuzzInput *in)
{
    return fuzz_input_bytes(in, 8);
}

#endif
