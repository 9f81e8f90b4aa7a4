package main

import (
	"github.com/gowaffle/waffle"
)

var sampleCommand = (&settingKind[float64, waffle.Sample, *waffle.Sample]{
	name:    "sample",
	summary: "set a sample's percent, show it, or list samples",
	about: `Sets the percent of reads for which the sample NAME is on: a decimal number
from 0 (never) to 100 (always), such as 12.5 (one decimal with --django). Shows the sample when no percent
is given. A sample that does not exist is an error unless --create is given.`,
	value:  "percent",
	syntax: "PERCENT",
	needs:  "a percent",
	parse:  parsePercent,
	show:   func(p float64) string { return formatPercent(p) + "%" },
	set:    (*waffle.Store).SetSample,
	header: []string{"NAME", "PERCENT", "MODIFIED", "NOTE"},
	row: func(sm waffle.Sample) []string {
		return []string{sm.Name, formatPercent(sm.Percent), formatTime(sm.Modified), sm.Note}
	},
}).command()

var sampleDeleteKind = deleteKind{option: "sample", plural: "Samples", delete: (*waffle.Store).DeleteSample}
