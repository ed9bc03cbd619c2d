;; float32 add, sub, mul, div, relu and relu's backward with WebAssembly SIMD128, as elementwise
;; kernels ((a, b, out, count) or (src, dst, count): kernels/wasm/fused.ts's calling convention),
;; and the float64 sums of a run and of a batch of rows. Each writes exactly `count` floats.
;;
;; Compiled by `pnpm build:wasm` (packages/tensor/scripts/build-wasm.ts) with the memory below
;; replaced by an imported shared one (arithmetic-wasm.ts): over the arena the kernels work on tensors'
;; storage in place (kernels/wasm/module.ts); elsewhere the same binary, its import made
;; non-shared, runs on a memory of its own that data is copied into. Addresses are in BYTES.
;; `;; #include` lines are replaced by the file they name (scripts/wat.ts).
(module
  ;; Grown by the JS side (memory.grow) to fit the data; never shrinks.
  (memory (export "memory") 1)

  ;; #include lib/partial.wat

  ;; out[i] = a[i] + b[i] for i < count (out may be a or b).
  (func (export "add") (param $a i32) (param $b i32) (param $out i32) (param $count i32)
    (local $end i32) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    ;; a cache line of each (16 floats) an iteration, computed before any store (see relu)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const -16)) (i32.const 2))))
    (block $done (loop $lines
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x0 (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $x1 (f32x4.add (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
      (local.set $x2 (f32x4.add (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b))))
      (local.set $x3 (f32x4.add (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b))))
      (v128.store (local.get $out) (local.get $x0))
      (v128.store offset=16 (local.get $out) (local.get $x1))
      (v128.store offset=32 (local.get $out) (local.get $x2))
      (v128.store offset=48 (local.get $out) (local.get $x3))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (local.set $out (i32.add (local.get $out) (i32.const 64)))
      (br $lines)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 12)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (v128.store (local.get $out) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $out) (f32.add (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $floats))))

  ;; out[i] = a[i] - b[i] for i < count (out may be a or b).
  (func (export "sub") (param $a i32) (param $b i32) (param $out i32) (param $count i32)
    (local $end i32) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    ;; a cache line of each (16 floats) an iteration, computed before any store (see relu)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const -16)) (i32.const 2))))
    (block $done (loop $lines
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x0 (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $x1 (f32x4.sub (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
      (local.set $x2 (f32x4.sub (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b))))
      (local.set $x3 (f32x4.sub (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b))))
      (v128.store (local.get $out) (local.get $x0))
      (v128.store offset=16 (local.get $out) (local.get $x1))
      (v128.store offset=32 (local.get $out) (local.get $x2))
      (v128.store offset=48 (local.get $out) (local.get $x3))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (local.set $out (i32.add (local.get $out) (i32.const 64)))
      (br $lines)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 12)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (v128.store (local.get $out) (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $out) (f32.sub (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $floats))))

  ;; out[i] = a[i] * b[i] for i < count (out may be a or b).
  (func (export "mul") (param $a i32) (param $b i32) (param $out i32) (param $count i32)
    (local $end i32) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    ;; a cache line of each (16 floats) an iteration, computed before any store (see relu)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const -16)) (i32.const 2))))
    (block $done (loop $lines
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x0 (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $x1 (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
      (local.set $x2 (f32x4.mul (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b))))
      (local.set $x3 (f32x4.mul (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b))))
      (v128.store (local.get $out) (local.get $x0))
      (v128.store offset=16 (local.get $out) (local.get $x1))
      (v128.store offset=32 (local.get $out) (local.get $x2))
      (v128.store offset=48 (local.get $out) (local.get $x3))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (local.set $out (i32.add (local.get $out) (i32.const 64)))
      (br $lines)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 12)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (v128.store (local.get $out) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $out) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $floats))))

  ;; out[i] = a[i] / b[i] for i < count (out may be a or b).
  (func (export "div") (param $a i32) (param $b i32) (param $out i32) (param $count i32)
    (local $end i32) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    ;; a cache line of each (16 floats) an iteration, computed before any store (see relu)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const -16)) (i32.const 2))))
    (block $done (loop $lines
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x0 (f32x4.div (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $x1 (f32x4.div (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
      (local.set $x2 (f32x4.div (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b))))
      (local.set $x3 (f32x4.div (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b))))
      (v128.store (local.get $out) (local.get $x0))
      (v128.store offset=16 (local.get $out) (local.get $x1))
      (v128.store offset=32 (local.get $out) (local.get $x2))
      (v128.store offset=48 (local.get $out) (local.get $x3))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (local.set $out (i32.add (local.get $out) (i32.const 64)))
      (br $lines)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 12)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (v128.store (local.get $out) (f32x4.div (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $out) (f32.div (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $floats))))

  ;; dst[i] = relu(src[i]) for i < count (dst may be src): lanes <= 0 (-0 included) are
  ;; cleared to +0 and NaN passes through with its payload, the same bits as the JS kernel.
  (func (export "relu") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $v v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    ;; a cache line (16 floats) an iteration while whole ones are left: all four loads issue
    ;; before the first store, which keeps more memory requests in flight (this op is
    ;; memory-bound: 4 MB in and out for 1e6 floats)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -16)) (i32.const 2))))
    (block $done (loop $lines
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $v (v128.load (local.get $src)))
      (local.set $v1 (v128.load offset=16 (local.get $src)))
      (local.set $v2 (v128.load offset=32 (local.get $src)))
      (local.set $v3 (v128.load offset=48 (local.get $src)))
      (v128.store (local.get $dst) (v128.andnot (local.get $v) (f32x4.le (local.get $v) (v128.const f32x4 0 0 0 0))))
      (v128.store offset=16 (local.get $dst) (v128.andnot (local.get $v1) (f32x4.le (local.get $v1) (v128.const f32x4 0 0 0 0))))
      (v128.store offset=32 (local.get $dst) (v128.andnot (local.get $v2) (f32x4.le (local.get $v2) (v128.const f32x4 0 0 0 0))))
      (v128.store offset=48 (local.get $dst) (v128.andnot (local.get $v3) (f32x4.le (local.get $v3) (v128.const f32x4 0 0 0 0))))
      (local.set $src (i32.add (local.get $src) (i32.const 64)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
      (br $lines)))
    (local.set $count (i32.and (local.get $count) (i32.const 15)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $v (v128.load (local.get $src)))
      (v128.store (local.get $dst) (v128.andnot (local.get $v) (f32x4.le (local.get $v) (v128.const f32x4 0 0 0 0))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $vectors)))
    (local.set $count (i32.and (local.get $count) (i32.const 3)))
    (if (i32.eqz (local.get $count)) (then (return)))
    (local.set $v (call $loadPartial (local.get $src) (local.get $count)))
    (call $storePartial (local.get $dst)
      (v128.andnot (local.get $v) (f32x4.le (local.get $v) (v128.const f32x4 0 0 0 0))) (local.get $count)))

  ;; out[i] = y[i] <= 0 ? 0 : g[i] for i < count: relu's backward (elementwise.ts's reluGrad),
  ;; g the incoming gradient, y relu's output; a NaN y keeps g, as torch's threshold_backward.
  (func (export "reluGrad") (param $g i32) (param $y i32) (param $out i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $g) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
      (v128.store (local.get $out)
        (v128.andnot (v128.load (local.get $g)) (f32x4.le (v128.load (local.get $y)) (v128.const f32x4 0 0 0 0))))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $g) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
      (f32.store (local.get $out)
        (select (f32.const 0) (f32.load (local.get $g)) (f32.le (f32.load (local.get $y)) (f32.const 0))))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $floats))))

  ;; ---------------------------------------------------------------- sum
  ;; The sum of `count` floats at `at`, in float64, bit for bit as the JS kernel
  ;; (kernels/reduce.ts's sumRow): eight float64 sums s0..s7, s_k taking elements 8j + k (here
  ;; four f64x2 lanes pairs), the 0-7 left added to s0, then ((s0+s1) + (s2+s3)) +
  ;; ((s4+s5) + (s6+s7)). The same additions in the same order, so the same result.
  (func (export "sum") (param $at i32) (param $count i32) (result f64)
    (local $end i32) (local $v v128) (local $w v128)
    (local $s01 v128) (local $s23 v128) (local $s45 v128) (local $s67 v128) (local $s0 f64)
    (local.set $end (i32.add (local.get $at) (i32.shl (i32.and (local.get $count) (i32.const -8)) (i32.const 2))))
    (block $done (loop $eights
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (local.set $v (v128.load (local.get $at)))
      (local.set $w (v128.load offset=16 (local.get $at)))
      (local.set $s01 (f64x2.add (local.get $s01) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $s23 (f64x2.add (local.get $s23) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $s45 (f64x2.add (local.get $s45) (f64x2.promote_low_f32x4 (local.get $w))))
      (local.set $s67 (f64x2.add (local.get $s67) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w)))))
      (local.set $at (i32.add (local.get $at) (i32.const 32)))
      (br $eights)))
    (local.set $s0 (f64x2.extract_lane 0 (local.get $s01)))
    (local.set $end (i32.add (local.get $at) (i32.shl (i32.and (local.get $count) (i32.const 7)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (local.set $s0 (f64.add (local.get $s0) (f64.promote_f32 (f32.load (local.get $at)))))
      (local.set $at (i32.add (local.get $at) (i32.const 4)))
      (br $floats)))
    (f64.add
      (f64.add
        (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $s01)))
        (f64.add (f64x2.extract_lane 0 (local.get $s23)) (f64x2.extract_lane 1 (local.get $s23))))
      (f64.add
        (f64.add (f64x2.extract_lane 0 (local.get $s45)) (f64x2.extract_lane 1 (local.get $s45)))
        (f64.add (f64x2.extract_lane 0 (local.get $s67)) (f64x2.extract_lane 1 (local.get $s67))))))

  ;; acc[j] += a[i][j] for each of `rows` contiguous rows of n floats at $a, into n float64 at
  ;; $acc, row after row: reduce.ts's loop for a sum over the leading dim (a bias gradient),
  ;; the same float64 additions in the same order. Two columns at a time (f64x2).
  (func (export "columnSums") (param $a i32) (param $rows i32) (param $n i32) (param $acc i32)
    (local $rowEnd i32) (local $end i32) (local $p i32) (local $q i32)
    (local.set $end (i32.add (local.get $a) (i32.mul (local.get $rows) (i32.shl (local.get $n) (i32.const 2)))))
    (block $done (loop $rowLoop
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $p (local.get $a))
      (local.set $q (local.get $acc))
      (local.set $rowEnd (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
      (block $pairsDone (loop $pairs
        (br_if $pairsDone (i32.ge_u (local.get $p) (local.get $rowEnd)))
        (v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $pairs)))
      (if (i32.and (local.get $n) (i32.const 1))
        (then (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.promote_f32 (f32.load (local.get $p)))))))
      (local.set $a (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
      (br $rowLoop))))
)
