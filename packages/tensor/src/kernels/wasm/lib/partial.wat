;; Loading and storing the last 1-3 floats of a run (included by the kernel modules:
;; `;; #include lib/partial.wat`, expanded by scripts/wat.ts).
  ;; The first `count` (1-3) floats at `at` in lanes 0.., zeros after: the last partial vector.
  (func $loadPartial (param $at i32) (param $count i32) (result v128)
    (local $x v128)
    (local.set $x (v128.load32_zero (local.get $at)))
    (if (i32.gt_u (local.get $count) (i32.const 1)) (then (local.set $x (v128.load32_lane offset=4 1 (local.get $at) (local.get $x)))))
    (if (i32.gt_u (local.get $count) (i32.const 2)) (then (local.set $x (v128.load32_lane offset=8 2 (local.get $at) (local.get $x)))))
    (local.get $x))

  ;; Store lanes 0 .. count-1 (count 1-3) of $x at `at`.
  (func $storePartial (param $at i32) (param $x v128) (param $count i32)
    (v128.store32_lane 0 (local.get $at) (local.get $x))
    (if (i32.gt_u (local.get $count) (i32.const 1)) (then (v128.store32_lane offset=4 1 (local.get $at) (local.get $x))))
    (if (i32.gt_u (local.get $count) (i32.const 2)) (then (v128.store32_lane offset=8 2 (local.get $at) (local.get $x)))))
