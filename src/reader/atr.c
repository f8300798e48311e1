/* What the reader handler reads from an ATR: only whether the card takes
 * extended-length APDUs. Everything else in it is pcscd's business. */
#include "pcsc_int.h"

/* Skip TS, T0 and the interface bytes (ISO 7816-3, 8.2): each TDi says
 * which of TA/TB/TC/TD(i+1) follow. Returns the offset of the historical
 * bytes, or len when the ATR is too short. */
static size_t historical_start(const uint8_t *atr, size_t len, size_t *k)
{
    if (len < 2)
        return len;
    *k = atr[1] & 0x0F;
    size_t i = 2;
    uint8_t y = atr[1] >> 4;
    for (;;) {
        size_t td = 0;
        for (int bit = 0; bit < 4; bit++) {
            if (!(y & (1u << bit)))
                continue;
            if (bit == 3)
                td = i;
            i++;
        }
        if (!td || td >= len)
            break;
        y = atr[td] >> 4;
    }
    return i <= len ? i : len;
}

bool scm_rd__atr_extended(const uint8_t *atr, size_t len)
{
    size_t k = 0;
    size_t i = historical_start(atr, len, &k);
    if (i >= len || k == 0 || i + k > len)
        return false;
    const uint8_t *h = atr + i;
    /* Category 00: COMPACT-TLV then 3 status bytes; 80: COMPACT-TLV only.
     * Other categories (10 = DIR reference, proprietary) say nothing. */
    size_t end;
    if (h[0] == 0x80)
        end = k;
    else if (h[0] == 0x00 && k >= 4)
        end = k - 3;
    else
        return false;
    for (size_t p = 1; p < end;) {
        uint8_t tag = h[p] >> 4, l = h[p] & 0x0F;
        if (p + 1 + l > end)
            return false;
        /* Card capabilities (tag 7): the third software function table,
         * bit b7 (0x40) = "extended Lc and Le fields". */
        if (tag == 7 && l >= 3)
            return (h[p + 3] & 0x40) != 0;
        p += 1u + l;
    }
    return false;
}
