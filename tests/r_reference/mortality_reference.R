# MOR p-values and PMR delta-method intervals for tests/test_mortality_r_reference.py.
# Run from this folder: Rscript mortality_reference.R   (base R only)
# Input: mortality_counts.csv (written here): deaths by stratum, group and cause.
counts <- expand.grid(stratum = c("s1", "s2"), group = c("exposed", "reference"),
                      cause = c("rare", "common", "other"), stringsAsFactors = FALSE)
counts$n <- c(# rare: s1 exposed, s2 exposed, s1 reference, s2 reference
              6, 9, 3, 2,
              # common
              400, 380, 60, 90,
              # other
              40, 70, 500, 450)
write.csv(counts, "mortality_counts.csv", row.names = FALSE)
n <- function(s, g, c) counts$n[counts$stratum == s & counts$group == g & counts$cause == c]

out <- list()
# MOR of "common" vs all other causes, exposed vs reference: crude chi-squared and CMH
tab <- function(s) matrix(c(n(s, "exposed", "common"), n(s, "exposed", "rare") + n(s, "exposed", "other"),
                            n(s, "reference", "common"), n(s, "reference", "rare") + n(s, "reference", "other")),
                          2, byrow = TRUE)
crude <- tab("s1") + tab("s2")
out[[1]] <- data.frame(what = "mor_crude_p", cause = "common",
                       value = chisq.test(crude, correct = FALSE)$p.value)
arr <- array(c(tab("s1"), tab("s2")), dim = c(2, 2, 2))
out[[2]] <- data.frame(what = "mor_mh_p", cause = "common",
                       value = mantelhaen.test(arr, correct = FALSE)$p.value)
# PMR by indirect standardisation, delta-method interval with the reference shares' variance
for (cc in c("rare", "common", "other")) {
  O <- 0; E <- 0; V <- 0
  for (s in c("s1", "s2")) {
    D <- sum(counts$n[counts$stratum == s & counts$group == "exposed"])
    R <- sum(counts$n[counts$stratum == s & counts$group == "reference"])
    p <- n(s, "reference", cc) / R
    O <- O + n(s, "exposed", cc); E <- E + D * p; V <- V + D^2 * p * (1 - p) / R
  }
  se <- sqrt(1 / O + V / E^2)
  z <- qnorm(0.975)
  out[[length(out) + 1]] <- data.frame(what = c("pmr", "pmr_delta_low", "pmr_delta_high",
                                                "pmr_delta_p", "pmr_exact_p"), cause = cc,
    value = c(O / E, O / E * exp(-z * se), O / E * exp(z * se),
              2 * pnorm(-abs(log(O / E)) / se),
              # harkit doubles the smaller exact tail (poisson.test sums small probabilities)
              min(1, 2 * min(ppois(O, E), ppois(O - 1, E, lower.tail = FALSE)))))
}
write.csv(do.call(rbind, out), "mortality_r.csv", row.names = FALSE)
