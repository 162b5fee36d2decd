/*
 * test_vec_f32.c — the f32 helpers of the CPU backend (backends/cpu/vec_f32.h):
 * the dispatched versions give the portable versions' bits, at every
 * length 0..100 and with values of mixed magnitude.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../backends/cpu/vec_f32.h"
#include "quant/fp16.h"
#include "testutil.h"

static float rnd(uint64_t *seed) {
    const uint64_t r = tu_rand_u64(seed);
    const float m = (float)((r >> 40) & 0xFFFF) / 65536.0f - 0.5f;
    return m * (float)(1 << ((r >> 20) & 15)); /* magnitudes 2^-1 .. 2^14 */
}

static void test_same_bits(void **state) {
    (void)state;
    uint64_t seed = 3;
    float a[100], b[100], y1[100], y2[100];
    for (int n = 0; n <= 100; n++) {
        for (int i = 0; i < n; i++) {
            a[i] = rnd(&seed);
            b[i] = rnd(&seed);
            y1[i] = y2[i] = rnd(&seed);
        }
        const float d1 = ei_dot_f32(a, b, n), d2 = ei_dot_f32_ref(a, b, n);
        assert_memory_equal(&d1, &d2, 4);
        const float w = rnd(&seed);
        ei_axpy_f32(y1, a, w, n);
        ei_axpy_f32_ref(y2, a, w, n);
        if (n) assert_memory_equal(y1, y2, (size_t)n * 4);
    }
    /* and the dot product is a dot product */
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_true(ei_dot_f32(x, x, 9) == 285.0f);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_bits)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
