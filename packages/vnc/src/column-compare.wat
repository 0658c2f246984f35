;; The damage filter's column comparison (column-compare.ts), in WebAssembly text.
;; column-compare.ts holds the assembled bytes: `wat2wasm column-compare.wat` (wabt 1.0.39,
;; `npx -p wabt wat2wasm`), base64. diffColumns(row, snap, left, right, flags) -> pixels:
;; `row` and `snap` are the byte addresses of pixel 0 of one screen row in the row buffer and
;; in the snapshot; every 16-pixel tile column that [left, right) touches is compared inside
;; [left, right), two pixels (one i64) at a time, up to its first difference; a column that
;; differs gets flags[x >> 4] = 1 and adds its pixels to the result.
(module
  (import "env" "memory" (memory 1))
  (func (export "diffColumns") (param $row i32) (param $snap i32) (param $left i32) (param $right i32) (param $flags i32) (result i32)
    (local $x i32) (local $end i32) (local $a i32) (local $real i32)
    (local.set $x (local.get $left))
    (block $done
      (loop $cols
        (br_if $done (i32.ge_u (local.get $x) (local.get $right)))
        ;; end = min(right, (x & ~15) + 16)
        (local.set $end (i32.add (i32.and (local.get $x) (i32.const -16)) (i32.const 16)))
        (if (i32.lt_u (local.get $right) (local.get $end)) (then (local.set $end (local.get $right))))
        (local.set $a (local.get $x))
        (block $differs
          (block $pairsDone
            (loop $pairs
              (br_if $pairsDone (i32.gt_u (i32.add (local.get $a) (i32.const 2)) (local.get $end)))
              (br_if $differs
                (i64.ne
                  (i64.load align=1 (i32.add (local.get $row) (i32.shl (local.get $a) (i32.const 2))))
                  (i64.load align=1 (i32.add (local.get $snap) (i32.shl (local.get $a) (i32.const 2))))))
              (local.set $a (i32.add (local.get $a) (i32.const 2)))
              (br $pairs)))
          (if (i32.lt_u (local.get $a) (local.get $end))
            (then
              (br_if $differs
                (i32.ne
                  (i32.load align=1 (i32.add (local.get $row) (i32.shl (local.get $a) (i32.const 2))))
                  (i32.load align=1 (i32.add (local.get $snap) (i32.shl (local.get $a) (i32.const 2))))))))
          (local.set $x (local.get $end))
          (br $cols))
        ;; the column differs
        (i32.store8 (i32.add (local.get $flags) (i32.shr_u (local.get $x) (i32.const 4))) (i32.const 1))
        (local.set $real (i32.add (local.get $real) (i32.sub (local.get $end) (local.get $x))))
        (local.set $x (local.get $end))
        (br $cols)))
    (local.get $real))
)
