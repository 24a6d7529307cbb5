# Thumb-2 inline assembler twins of sum16, copy, copy_sum16 and copy_sum, for
# ARMv7-M and later (Cortex-M3/M4/M7): smolnet/fast/__init__.py picks them
# there, viper.py elsewhere. The viper loops cost 25 to 60 Cortex-M3
# instructions a word (the emitter keeps most locals in memory); these take
# 2 to 4 (measured under QEMU -icount: 1460 bytes summed in 18k instructions
# by viper, about 1.5k here).
#
# They lean on what ARMv7-M has and ARMv6-M (Cortex-M0+) lacks: LDR, LDRH,
# STR and STRH at any alignment (the hardware splits the access; Cortex-M
# resets with CCR.UNALIGN_TRP clear and MicroPython leaves it so), so no
# shifting of misaligned words; ADCS for the one's complement sum, 32 bits
# at a time with the carries added back in (RFC 1071 2(C)); the sum of
# little-endian words is the byte-swapped sum of big-endian pairs (2(B)),
# swapped once at the end.
#
# An asm_thumb function takes at most four arguments (r0-r3: an int as its
# value, a buffer as its address): the extra ones travel in _ARGS, which
# the viper wrappers fill. No allocation anywhere: every result is a small
# int and r0 is cleared where there is none.
import micropython
from array import array
from .viper import _copy_back

_ARGS = array("i", [0, 0, 0])      # soff, n, acc of the call in progress


@micropython.asm_thumb
def sum16(r0, r1, r2, r3):
    # r0 buffer, r1 offset, r2 length, r3 acc (0..0xFFFF)
    add(r0, r0, r1)
    mov(r1, 0)                     # the end-around sum of little-endian words
    mov(r7, 0)
    cmp(r2, 16)
    blt(ONE)
    label(FOUR)                    # four words a turn, carries chained
    ldr(r4, [r0, 0])
    ldr(r5, [r0, 4])
    ldr(r6, [r0, 8])
    add(r1, r1, r4)
    adc(r1, r5)
    adc(r1, r6)
    ldr(r4, [r0, 12])
    adc(r1, r4)
    adc(r1, r7)                    # the carry out, added back in; twice, as
    adc(r1, r7)                    # adding it may carry once more
    add(r0, 16)
    sub(r2, 16)
    cmp(r2, 16)
    bge(FOUR)
    label(ONE)
    cmp(r2, 4)
    blt(HALF)
    ldr(r4, [r0, 0])
    add(r1, r1, r4)
    adc(r1, r7)
    adc(r1, r7)
    add(r0, 4)
    sub(r2, 4)
    b(ONE)
    label(HALF)
    cmp(r2, 2)
    blt(BYTE)
    ldrh(r4, [r0, 0])
    add(r1, r1, r4)
    adc(r1, r7)
    adc(r1, r7)
    add(r0, 2)
    sub(r2, 2)
    label(BYTE)
    cmp(r2, 0)
    beq(FOLD)
    ldrb(r4, [r0, 0])              # an odd last byte, padded with a zero
    add(r1, r1, r4)
    adc(r1, r7)
    adc(r1, r7)
    label(FOLD)
    lsr(r4, r1, 16)                # 32 bits to 16, twice
    lsl(r1, r1, 16)
    lsr(r1, r1, 16)
    add(r1, r1, r4)
    lsr(r4, r1, 16)
    lsl(r1, r1, 16)
    lsr(r1, r1, 16)
    add(r1, r1, r4)
    lsr(r4, r1, 8)                 # bytes exchanged: the big-endian sum
    lsl(r1, r1, 24)
    lsr(r1, r1, 16)
    orr(r1, r4)
    add(r1, r1, r3)                # + acc, folded once more
    lsr(r4, r1, 16)
    lsl(r1, r1, 16)
    lsr(r1, r1, 16)
    add(r1, r1, r4)
    mov(r0, r1)


@micropython.asm_thumb
def _copy(r0, r1, r2, r3):
    # r0 dst, r1 doff, r2 src, r3 _ARGS (soff, n): forward, words of any
    # alignment, 16 bytes a turn
    add(r0, r0, r1)
    ldr(r1, [r3, 0])
    add(r2, r2, r1)
    ldr(r1, [r3, 4])
    cmp(r1, 16)
    blt(ONE)
    label(FOUR)
    ldr(r3, [r2, 0])
    ldr(r4, [r2, 4])
    ldr(r5, [r2, 8])
    ldr(r6, [r2, 12])
    str(r3, [r0, 0])
    str(r4, [r0, 4])
    str(r5, [r0, 8])
    str(r6, [r0, 12])
    add(r0, 16)
    add(r2, 16)
    sub(r1, 16)
    cmp(r1, 16)
    bge(FOUR)
    label(ONE)
    cmp(r1, 4)
    blt(BYTE)
    ldr(r3, [r2, 0])
    str(r3, [r0, 0])
    add(r0, 4)
    add(r2, 4)
    sub(r1, 4)
    b(ONE)
    label(BYTE)
    cmp(r1, 0)
    beq(DONE)
    ldrb(r3, [r2, 0])
    strb(r3, [r0, 0])
    add(r0, 1)
    add(r2, 1)
    sub(r1, 1)
    b(BYTE)
    label(DONE)
    mov(r0, 0)


@micropython.asm_thumb
def _copy_sum(r0, r1, r2, r3):
    # r0 dst, r1 doff, r2 src, r3 _ARGS (soff, n, acc): _copy with each
    # word summed as it is stored, as sum16 sums (the sum of what dst holds)
    add(r0, r0, r1)
    ldr(r1, [r3, 0])
    add(r2, r2, r1)
    ldr(r1, [r3, 4])
    ldr(r3, [r3, 8])
    push({r3})                     # acc, for the end
    mov(r3, 0)                     # the end-around sum
    mov(r7, 0)
    cmp(r1, 12)
    blt(ONE)
    label(THREE)                   # three words a turn (r4-r6; r7 is zero)
    ldr(r4, [r2, 0])
    ldr(r5, [r2, 4])
    ldr(r6, [r2, 8])
    str(r4, [r0, 0])
    str(r5, [r0, 4])
    str(r6, [r0, 8])
    add(r3, r3, r4)
    adc(r3, r5)
    adc(r3, r6)
    adc(r3, r7)
    adc(r3, r7)
    add(r0, 12)
    add(r2, 12)
    sub(r1, 12)
    cmp(r1, 12)
    bge(THREE)
    label(ONE)
    cmp(r1, 4)
    blt(HALF)
    ldr(r4, [r2, 0])
    str(r4, [r0, 0])
    add(r3, r3, r4)
    adc(r3, r7)
    adc(r3, r7)
    add(r0, 4)
    add(r2, 4)
    sub(r1, 4)
    b(ONE)
    label(HALF)
    cmp(r1, 2)
    blt(BYTE)
    ldrh(r4, [r2, 0])
    strh(r4, [r0, 0])
    add(r3, r3, r4)
    adc(r3, r7)
    adc(r3, r7)
    add(r0, 2)
    add(r2, 2)
    sub(r1, 2)
    label(BYTE)
    cmp(r1, 0)
    beq(FOLD)
    ldrb(r4, [r2, 0])
    strb(r4, [r0, 0])
    add(r3, r3, r4)
    adc(r3, r7)
    adc(r3, r7)
    label(FOLD)
    lsr(r4, r3, 16)
    lsl(r3, r3, 16)
    lsr(r3, r3, 16)
    add(r3, r3, r4)
    lsr(r4, r3, 16)
    lsl(r3, r3, 16)
    lsr(r3, r3, 16)
    add(r3, r3, r4)
    lsr(r4, r3, 8)
    lsl(r3, r3, 24)
    lsr(r3, r3, 16)
    orr(r3, r4)
    pop({r4})
    add(r3, r3, r4)
    lsr(r4, r3, 16)
    lsl(r3, r3, 16)
    lsr(r3, r3, 16)
    add(r3, r3, r4)
    mov(r0, r3)


@micropython.viper
def copy(dst, doff: int, src, soff: int, n: int):
    if dst is src and soff < doff and doff < soff + n:
        _copy_back(dst, doff, src, soff, n)     # memmove: overlap, backwards
        return
    if n <= 16:
        # addresses, ports, a header field: a byte loop here costs less
        # than the assembler's call
        d = ptr8(dst)
        s = ptr8(src)
        i = 0
        while i < n:
            d[doff + i] = s[soff + i]
            i += 1
        return
    a = ptr32(_ARGS)
    a[0] = soff
    a[1] = n
    _copy(dst, doff, src, _ARGS)


@micropython.viper
def copy_sum16(dst, doff: int, src, soff: int, n: int, acc: int) -> int:
    a = ptr32(_ARGS)
    a[0] = soff
    a[1] = n
    a[2] = acc
    return int(_copy_sum(dst, doff, src, _ARGS))


@micropython.viper
def copy_sum(dst, doff: int, src, soff: int, n: int) -> int:
    a = ptr32(_ARGS)
    a[0] = soff
    a[1] = n
    a[2] = 0
    return int(_copy_sum(dst, doff, src, _ARGS))
