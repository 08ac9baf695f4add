# Andersen life-years lost reference for tests/test_lyl.py (lillies' formulas, by hand).
# Run from this folder: Rscript lyl_reference.R   (R >= 4.2 with survival)
# Input: harkit_sample.csv (export_synthetic_sample.py). Age is the time scale; people enter
# at entry_age (delayed entry) and die at exit_age of cause "top" (event 1) or "other".
# LYL between ages a0 and a1 = integral of 1 - S, by cause = integral of the Aalen-Johansen
# cumulative incidence (survfit multi-state), as lillies::lyl_range.
suppressPackageStartupMessages(library(survival))
d <- read.csv("harkit_sample.csv")
d$cause <- factor(ifelse(d$event == 1, "top", "other"), levels = c("censor", "other", "top"))
step_area <- function(time, value, a0, a1) {
  t <- sort(unique(c(a0, time[time > a0 & time < a1], a1)))
  v <- sapply(t[-length(t)], function(x) { i <- max(c(0, which(time <= x))); if (i == 0) 0 else value[i] })
  sum(v * diff(t))
}
out <- list()
for (rng in list(c(30, 80), c(20, 60), c(50, 95))) {
  a0 <- rng[1]; a1 <- rng[2]
  for (grp in c("all", "female", "male")) {
    x <- if (grp == "all") d else d[d$sex == grp, ]
    x <- x[x$exit_age > a0, ]
    x$start <- pmax(x$entry_age, a0)
    f <- survfit(Surv(start, exit_age, cause) ~ 1, data = x, id = person_id)
    ps <- f$pstate  # columns: (s0) alive, other, top
    st <- colnames(ps) <- f$states
    lyl_other <- step_area(f$time, ps[, "other"], a0, a1)
    lyl_top <- step_area(f$time, ps[, "top"], a0, a1)
    lyl_all <- step_area(f$time, 1 - ps[, "(s0)"], a0, a1)
    out[[length(out) + 1]] <- data.frame(a0 = a0, a1 = a1, group = grp,
                                         component = c("all causes", "other", "top"),
                                         lyl = c(lyl_all, lyl_other, lyl_top))
  }
}
write.csv(do.call(rbind, out), "lyl_reference.csv", row.names = FALSE)
