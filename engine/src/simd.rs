//! Hot loops compiled twice: for the baseline x86-64 (SSE2) and with AVX2, picked at run time by what the CPU
//! supports. A loop becomes a [`Kernel`] whose `run` is `#[inline(always)]`, so that [`run`] can compile it into a
//! function with AVX2 enabled; the values computed are the same either way (the same operations, wider).
#![allow(unsafe_code)]

/// A loop to run with the widest vector instructions the CPU has; see the module documentation.
pub trait Kernel {
    /// What the loop gives.
    type Output;
    /// The loop. Implementations must be `#[inline(always)]`, or the AVX2 build is the baseline one.
    fn run(self) -> Self::Output;
}

/// Runs `kernel`, compiled with AVX2 when the CPU supports it.
#[inline]
pub fn run<K: Kernel>(kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above, which is all `run_avx2` requires.
        return unsafe { run_avx2(kernel) };
    }
    kernel.run()
}

/// `kernel.run()` inlined into a function compiled with AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<K: Kernel>(kernel: K) -> K::Output {
    kernel.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sum<'a>(&'a [f32]);

    impl Kernel for Sum<'_> {
        type Output = f64;
        #[inline(always)]
        fn run(self) -> f64 {
            self.0.iter().map(|&v| f64::from(v)).sum()
        }
    }

    #[test]
    fn both_builds_give_the_same_values() {
        let values: Vec<f32> = (0..1000).map(|i| i as f32 * 0.25).collect();
        assert_eq!(run(Sum(&values)), Sum(&values).run());
    }
}
