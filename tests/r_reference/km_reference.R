# Kaplan-Meier reference values for tests/test_survival_r_reference.py.
# Run from this folder: Rscript km_reference.R   (R >= 4.2 with survival and boot)
# Inputs written here too: channing.csv (boot::channing), lung.csv (survival::lung).
suppressPackageStartupMessages({library(survival); library(boot)})
data(channing, package = "boot")
write.csv(channing, "channing.csv", row.names = FALSE)
lung <- survival::lung
write.csv(lung, "lung.csv", row.names = FALSE)

one <- function(fit, dataset, conf) {
  s <- summary(fit, censored = FALSE)
  grp <- if (is.null(s$strata)) rep("all", length(s$time)) else sub(".*=", "", as.character(s$strata))
  data.frame(dataset = dataset, conf_type = conf, group = grp, time = s$time,
             n_risk = s$n.risk, n_event = s$n.event, surv = s$surv,
             std_err = s$std.err, lower = s$lower, upper = s$upper)
}
out <- list()
ch <- subset(channing, exit > entry)  # zero-length intervals dropped, as R does with a warning
men68 <- subset(ch, sex == "Male" & exit > 816)
men68$start <- pmax(men68$entry, 816)
for (ct in c("log", "log-log", "plain")) {
  # fit first, then tabulate: survfit looks its arguments up in the calling frame
  f1 <- survfit(Surv(entry, exit, cens) ~ sex, data = ch, conf.type = ct)
  # men from 68 years (816 months): no early collapse, so every CI is defined
  f2 <- survfit(Surv(start, exit, cens) ~ 1, data = men68, conf.type = ct)
  f3 <- survfit(Surv(time, status == 2) ~ sex, data = lung, conf.type = ct)
  out[[length(out) + 1]] <- one(f1, "channing", ct)
  out[[length(out) + 1]] <- one(f2, "channing_men_816", ct)
  out[[length(out) + 1]] <- one(f3, "lung", ct)
}
res <- do.call(rbind, out)
write.csv(res, "km_survfit.csv", row.names = FALSE)
