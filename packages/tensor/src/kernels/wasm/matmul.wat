;; float32 matrix product C[m x n] = A[m x k] @ B[k x n] with WebAssembly SIMD128 (f32x4).
;;
;; Compiled by `pnpm build:wasm` (packages/tensor/scripts/build-wasm.ts) into the base64 in
;; matmul-wasm.ts; the JS side is simd-matmul.ts. All addresses and strides here are in BYTES.
;;
;; The JS side copies A and B into this memory, then:
;;   1. `pack` rearranges each operand into panels, so the inner loop reads memory in order:
;;        A: row panels of 4 rows. For each p (0..k-1) the panel holds a[i..i+3][p]: 4 floats.
;;        B: column panels of 8 columns. For each p the panel holds b[p][j..j+7]: 8 floats.
;;      The last panel of A (B), if m (n) is not a multiple of 4 (8), repeats the last row (column):
;;      those padded lanes only produce entries of C outside m x n, which are dropped, so they
;;      need not be zero.
;;   2. `gemm` computes every 4x8 tile of C with `$tile`, then closes the gaps between rows so C
;;      is m x n, row-major, contiguous; the JS side copies it out.
;;
;; Only SIMD128 as in Node 20 and current browsers: no relaxed SIMD, so no fused multiply-add;
;; every product is rounded to float32, then added (accumulation is in float32).

(module
  ;; Grown by the JS side (memory.grow) to fit the operands; never shrinks.
  (memory (export "memory") 1)

  ;; Rearranges `lines` strided lines of `depth` floats into panels of `width` (4 or 8) lines.
  ;; Line l, element p is at src + l*lineStride + p*step (any strides, so views need no copy
  ;; first). Output: for each panel, for each p, the `width` floats of lines l0..l0+width-1.
  ;;   A (m x k) into 4-row panels:    lines = rows,    lineStride = rowStride, step = colStride
  ;;   B (k x n) into 8-column panels: lines = columns, lineStride = colStride, step = rowStride
  ;; Each panel is copied by the fastest of three helpers that fits its layout.
  (func (export "pack")
    (param $src i32) (param $lineStride i32) (param $step i32)
    (param $lines i32) (param $depth i32) (param $width i32) (param $dst i32)
    (local $first i32) (local $full i32) (local $s i32)
    (loop $panels
      (local.set $full (i32.le_u (i32.add (local.get $first) (local.get $width)) (local.get $lines)))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $first) (local.get $lineStride))))
      (if (i32.and (local.get $full) (i32.eq (local.get $lineStride) (i32.const 4)))
        (then (call $packAdjacentLines (local.get $s) (local.get $step) (local.get $depth) (local.get $width) (local.get $dst)))
        (else
          (if (i32.and (local.get $full) (i32.eq (local.get $step) (i32.const 4)))
            (then (call $packContiguousLines (local.get $s) (local.get $lineStride) (local.get $depth) (local.get $width) (local.get $dst)))
            (else
              (call $packStridedLines (local.get $src) (local.get $lineStride) (local.get $step)
                (local.get $first) (local.get $lines) (local.get $depth) (local.get $width) (local.get $dst))))))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $depth) (i32.shl (local.get $width) (i32.const 2)))))
      (local.set $first (i32.add (local.get $first) (local.get $width)))
      (br_if $panels (i32.lt_u (local.get $first) (local.get $lines)))))

  ;; One full panel whose lines are adjacent floats (B row-major, or A transposed): each p is
  ;; `width` consecutive floats, copied as f32x4. (Reading one line at a time instead touches
  ;; a new cache line per float: 0.28 ms for a 512x512 B, against 0.04 ms this way.)
  (func $packAdjacentLines (param $s i32) (param $step i32) (param $depth i32) (param $width i32) (param $d i32)
    (local $end i32) (local $v i32) (local $dstStep i32)
    (local.set $dstStep (i32.shl (local.get $width) (i32.const 2)))
    (local.set $end (i32.add (local.get $d) (i32.mul (local.get $depth) (local.get $dstStep))))
    (loop $rows
      (local.set $v (i32.const 0))
      (loop $vectors
        (v128.store (i32.add (local.get $d) (local.get $v)) (v128.load (i32.add (local.get $s) (local.get $v))))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (br_if $vectors (i32.lt_u (local.get $v) (local.get $dstStep))))
      (local.set $s (i32.add (local.get $s) (local.get $step)))
      (local.set $d (i32.add (local.get $d) (local.get $dstStep)))
      (br_if $rows (i32.lt_u (local.get $d) (local.get $end)))))

  ;; One full panel whose lines are each contiguous (A row-major, or B transposed, as in
  ;; x @ W^T): 4 lines x 4 floats are loaded as four f32x4 and transposed with shuffles into
  ;; four p steps of 4 lanes. A leftover depth % 4 is copied one float at a time.
  (func $packContiguousLines (param $s0 i32) (param $lineStride i32) (param $depth i32) (param $width i32) (param $dst i32)
    (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $d i32) (local $dstStep i32) (local $group i32) (local $p i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $dstStep (i32.shl (local.get $width) (i32.const 2)))
    (loop $groups ;; lanes 0-3, then 4-7 for a B panel
      (local.set $s1 (i32.add (local.get $s0) (local.get $lineStride)))
      (local.set $s2 (i32.add (local.get $s1) (local.get $lineStride)))
      (local.set $s3 (i32.add (local.get $s2) (local.get $lineStride)))
      (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $group) (i32.const 2))))
      (local.set $p (i32.const 0))
      (block $tail
        (loop $quads
          (br_if $tail (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $depth)))
          (local.set $r0 (v128.load (local.get $s0))) ;; line 0, p .. p+3
          (local.set $r1 (v128.load (local.get $s1)))
          (local.set $r2 (v128.load (local.get $s2)))
          (local.set $r3 (v128.load (local.get $s3)))
          ;; t0 = r0[0] r1[0] r0[1] r1[1], t1 = r0[2] r1[2] r0[3] r1[3], t2/t3 the same for r2, r3
          (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
          (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
          (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
          (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
          ;; p: r0[0] r1[0] r2[0] r3[0];  p+1: r0[1] ...;  p+2, p+3 from t1, t3
          (v128.store (local.get $d)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
          (v128.store (i32.add (local.get $d) (local.get $dstStep))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
          (v128.store (i32.add (local.get $d) (i32.shl (local.get $dstStep) (i32.const 1)))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
          (v128.store (i32.add (local.get $d) (i32.mul (local.get $dstStep) (i32.const 3)))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
          (local.set $s0 (i32.add (local.get $s0) (i32.const 16)))
          (local.set $s1 (i32.add (local.get $s1) (i32.const 16)))
          (local.set $s2 (i32.add (local.get $s2) (i32.const 16)))
          (local.set $s3 (i32.add (local.get $s3) (i32.const 16)))
          (local.set $d (i32.add (local.get $d) (i32.shl (local.get $dstStep) (i32.const 2))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br $quads)))
      (block $done
        (loop $rest
          (br_if $done (i32.ge_u (local.get $p) (local.get $depth)))
          (f32.store offset=0 (local.get $d) (f32.load (local.get $s0)))
          (f32.store offset=4 (local.get $d) (f32.load (local.get $s1)))
          (f32.store offset=8 (local.get $d) (f32.load (local.get $s2)))
          (f32.store offset=12 (local.get $d) (f32.load (local.get $s3)))
          (local.set $s0 (i32.add (local.get $s0) (i32.const 4)))
          (local.set $s1 (i32.add (local.get $s1) (i32.const 4)))
          (local.set $s2 (i32.add (local.get $s2) (i32.const 4)))
          (local.set $s3 (i32.add (local.get $s3) (i32.const 4)))
          (local.set $d (i32.add (local.get $d) (local.get $dstStep)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $rest)))
      ;; next group of 4 lines starts 4 lines below this group's first
      (local.set $s0 (i32.add (local.get $s3) (i32.sub (local.get $lineStride) (i32.shl (local.get $depth) (i32.const 2)))))
      (local.set $group (i32.add (local.get $group) (i32.const 4)))
      (br_if $groups (i32.lt_u (local.get $group) (local.get $width)))))

  ;; Any panel, any strides: one line at a time, one float per p. Lines past the last
  ;; (the padding of the last panel) repeat the last line.
  (func $packStridedLines
    (param $src i32) (param $lineStride i32) (param $step i32)
    (param $first i32) (param $lines i32) (param $depth i32) (param $width i32) (param $dst i32)
    (local $lane i32) (local $line i32) (local $s i32) (local $d i32) (local $end i32) (local $dstStep i32)
    (local.set $dstStep (i32.shl (local.get $width) (i32.const 2)))
    (loop $lanes
      (local.set $line (i32.add (local.get $first) (local.get $lane)))
      (if (i32.ge_u (local.get $line) (local.get $lines))
        (then (local.set $line (i32.sub (local.get $lines) (i32.const 1)))))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $line) (local.get $lineStride))))
      (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $lane) (i32.const 2))))
      (local.set $end (i32.add (local.get $d) (i32.mul (local.get $depth) (local.get $dstStep))))
      (loop $copy
        (f32.store (local.get $d) (f32.load (local.get $s)))
        (local.set $s (i32.add (local.get $s) (local.get $step)))
        (local.set $d (i32.add (local.get $d) (local.get $dstStep)))
        (br_if $copy (i32.lt_u (local.get $d) (local.get $end))))
      (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
      (br_if $lanes (i32.lt_u (local.get $lane) (local.get $width)))))

  ;; The micro-kernel: C[4 x 8] at $c (row stride $ldc) = A panel (4 x kc) @ B panel (kc x 8),
  ;; plus what C holds already if $add (the k blocks after the first).
  ;; The 4x8 tile lives in 8 f32x4 locals, which V8 keeps in xmm registers: per k step it loads
  ;; two f32x4 of B and splats four floats of A, then does 8 multiplies and 8 adds.
  ;;
  ;; Not unrolled, on purpose: V8 (TurboFan) issues all loads of a loop body first, because
  ;; loads keep program order while arithmetic moves next to its use. Unrolled twice, the body
  ;; holds 12 loaded values + 8 accumulators, more than the 15 xmm registers V8 allocates,
  ;; and spills (measured 39 GFLOP/s against 53 for this body, both before the one-counter change
  ;; below). Taller tiles (5x8, 6x8) spill too; 3x12 needs 16 registers and measured 43.
  (func $tile (param $pa i32) (param $pb i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $add i32)
    (local $end i32) (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $c1 i32) (local $c2 i32) (local $c3 i32)
    ;; One loop counter, $pa (16 bytes of A per k). B advances 32 bytes per k, so its address
    ;; is 2*pa + (pb - 2*pa0) rather than a second pointer; and $pa is bumped at the top of the
    ;; body (starting one step early), so the loads use the value just computed. Each spares
    ;; V8 an instruction or two per iteration in a loop that is issue-bound: 55 -> 64 GFLOP/s
    ;; for the first, +2.5% for the second, measured at 512x512.
    (local.set $end (i32.add (local.get $pa) (i32.shl (i32.sub (local.get $kc) (i32.const 1)) (i32.const 4))))
    (local.set $pb (i32.sub (local.get $pb) (i32.shl (local.get $pa) (i32.const 1))))
    (local.set $pa (i32.sub (local.get $pa) (i32.const 16)))
    (loop $k
      (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
      (local.set $b0 (v128.load (i32.add (i32.shl (local.get $pa) (i32.const 1)) (local.get $pb))))
      (local.set $b1 (v128.load offset=16 (i32.add (i32.shl (local.get $pa) (i32.const 1)) (local.get $pb))))
      (local.set $a (v128.load32_splat (local.get $pa)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=4 (local.get $pa)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=8 (local.get $pa)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=12 (local.get $pa)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
      (br_if $k (i32.lt_u (local.get $pa) (local.get $end))))
    (local.set $c1 (i32.add (local.get $c) (local.get $ldc)))
    (local.set $c2 (i32.add (local.get $c1) (local.get $ldc)))
    (local.set $c3 (i32.add (local.get $c2) (local.get $ldc)))
    (if (local.get $add)
      (then
        (local.set $c00 (f32x4.add (v128.load (local.get $c)) (local.get $c00)))
        (local.set $c01 (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c01)))
        (local.set $c10 (f32x4.add (v128.load (local.get $c1)) (local.get $c10)))
        (local.set $c11 (f32x4.add (v128.load offset=16 (local.get $c1)) (local.get $c11)))
        (local.set $c20 (f32x4.add (v128.load (local.get $c2)) (local.get $c20)))
        (local.set $c21 (f32x4.add (v128.load offset=16 (local.get $c2)) (local.get $c21)))
        (local.set $c30 (f32x4.add (v128.load (local.get $c3)) (local.get $c30)))
        (local.set $c31 (f32x4.add (v128.load offset=16 (local.get $c3)) (local.get $c31)))))
    (v128.store (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (v128.store (local.get $c1) (local.get $c10))
    (v128.store offset=16 (local.get $c1) (local.get $c11))
    (v128.store (local.get $c2) (local.get $c20))
    (v128.store offset=16 (local.get $c2) (local.get $c21))
    (v128.store (local.get $c3) (local.get $c30))
    (v128.store offset=16 (local.get $c3) (local.get $c31)))

  ;; Adds the row vector v (n floats at $v) to each of the m rows of the contiguous m x n C at
  ;; $c: c[i][j] += v[j], one float32 add per element (the same bits as a separate add op).
  ;; This is the bias of F.linear / torch.addmm, added while C is still in this memory.
  (func (export "addRow") (param $c i32) (param $m i32) (param $n i32) (param $v i32)
    (local $row i32) (local $end i32) (local $j i32) (local $vec i32)
    (local.set $vec (i32.and (local.get $n) (i32.const -4))) ;; floats done 4 at a time
    (local.set $end (i32.add (local.get $c) (i32.mul (local.get $m) (i32.shl (local.get $n) (i32.const 2)))))
    (local.set $row (local.get $c))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $row) (local.get $end)))
        (local.set $j (i32.const 0))
        (block $vecDone
          (loop $vector
            (br_if $vecDone (i32.ge_u (local.get $j) (local.get $vec)))
            (v128.store (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))
              (f32x4.add
                (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
                (v128.load (i32.add (local.get $v) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $vector)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $n)))
            (f32.store (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))
              (f32.add
                (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
                (f32.load (i32.add (local.get $v) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (local.set $row (i32.add (local.get $row) (i32.shl (local.get $n) (i32.const 2))))
        (br $rows))))

  ;; C (m x n at $c) = packed A (at $ap) @ packed B (at $bp), k >= 1. While it is computed, C has
  ;; (m rounded up to 4) rows of (n rounded up to 8) floats; its memory must hold that many.
  ;;
  ;; k is cut into blocks of 512: one B panel block (512 x 8 floats, 16 KB) stays in L1 while
  ;; the loop over i streams the A panels of that block (m x 512 floats) through L2. (256 and
  ;; 512 measured the same at 512x512; the larger block rereads the C tiles less often.)
  (func (export "gemm")
    (param $m i32) (param $n i32) (param $k i32) (param $ap i32) (param $bp i32) (param $c i32)
    (local $ldc i32) (local $p0 i32) (local $kc i32) (local $i i32) (local $j i32)
    (local.set $ldc (i32.shl (i32.and (i32.add (local.get $n) (i32.const 7)) (i32.const -8)) (i32.const 2)))
    (loop $blocks
      (local.set $kc (i32.sub (local.get $k) (local.get $p0)))
      (if (i32.gt_u (local.get $kc) (i32.const 512)) (then (local.set $kc (i32.const 512))))
      (local.set $j (i32.const 0))
      (loop $columns
        (local.set $i (i32.const 0))
        (loop $rows
          ;; a panel of 4 rows spans k*16 bytes, one of 8 columns k*32; block p0 starts p0*16 / p0*32 in
          (call $tile
            (i32.add (local.get $ap) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (i32.shl (local.get $p0) (i32.const 2))) (i32.const 2)))
            (i32.add (local.get $bp) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $k)) (i32.shl (local.get $p0) (i32.const 3))) (i32.const 2)))
            (local.get $kc)
            (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2))))
            (local.get $ldc)
            (local.get $p0)) ;; add to C from the second k block on
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $rows (i32.lt_u (local.get $i) (local.get $m))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br_if $columns (i32.lt_u (local.get $j) (local.get $n))))
      (local.set $p0 (i32.add (local.get $p0) (i32.const 512)))
      (br_if $blocks (i32.lt_u (local.get $p0) (local.get $k))))
    ;; Close the gaps: row i moves from c + i*ldc to c + i*n*4 (down, so memory.copy's
    ;; overlap handling makes the order safe). Nothing to do when n is a multiple of 8.
    (if (i32.ne (local.get $ldc) (i32.shl (local.get $n) (i32.const 2)))
      (then
        (local.set $i (i32.const 1))
        (block $done
          (loop $compact
            (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
            (memory.copy
              (i32.add (local.get $c) (i32.mul (local.get $i) (i32.shl (local.get $n) (i32.const 2))))
              (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc)))
              (i32.shl (local.get $n) (i32.const 2)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $compact)))))))
