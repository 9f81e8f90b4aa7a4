package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gowaffle/waffle"
)

var sampleCommand = &command{
	name:    "sample",
	summary: "set a sample's percent, show it, or list samples",
	run:     runSample,
}

var sampleDeleteKind = deleteKind{option: "sample", plural: "Samples", delete: (*waffle.Store).DeleteSample}

func runSample(ctx context.Context, a *app, args []string) error {
	cf := newCmdFlags(a, "sample", "NAME [PERCENT] [--create] | --list [--json]",
		`Sets the percent of reads for which the sample NAME is on: a decimal number
from 0 (never) to 100 (always), such as 12.5. Shows the sample when no percent
is given. A sample that does not exist is an error unless --create is given.`)
	list := cf.Bool("list", false, "list every sample")
	create := cf.Bool("create", false, "create the sample when it does not exist")
	asJSON := cf.jsonFlag()
	pos, err := cf.parse(args, 0, 2)
	if err != nil {
		return err
	}
	if *list {
		if len(pos) > 0 || *create {
			return cf.usageErr("--list takes no name, percent or --create")
		}
		s, closeDB, err := cf.store(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		sms, err := s.ListSamples(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			if sms == nil {
				sms = []waffle.Sample{}
			}
			return writeJSON(a.stdout, sms)
		}
		return sampleRows(a, sms)
	}
	if len(pos) == 0 {
		return cf.usageErr("give a sample name and a percent, or --list")
	}
	name := pos[0]
	var percent *float64
	if len(pos) == 2 {
		p, err := parsePercent(pos[1])
		if err != nil {
			return cf.usageErr("%v", err)
		}
		percent = &p
	}
	if *create && percent == nil {
		return cf.usageErr("give a percent with --create")
	}
	if err := waffle.ValidateName("sample", name); err != nil {
		return err
	}
	s, closeDB, err := cf.store(ctx)
	if err != nil {
		return err
	}
	defer closeDB()

	sm, err := s.GetSample(ctx, name)
	switch {
	case errors.Is(err, waffle.ErrNotFound) && *create:
		a.printf("Creating sample: %s\n", name)
	case errors.Is(err, waffle.ErrNotFound):
		return fmt.Errorf("sample %q does not exist (add --create to create it)", name)
	case err != nil:
		return err
	case percent == nil:
		if *asJSON {
			return writeJSON(a.stdout, sm)
		}
		return sampleRows(a, []waffle.Sample{*sm})
	}
	if err := s.SetSample(ctx, name, *percent); err != nil {
		return err
	}
	a.printf("Sample %s: %s%%\n", name, formatPercent(*percent))
	return nil
}

func sampleRows(a *app, sms []waffle.Sample) error {
	t := newTable(a.stdout, "NAME", "PERCENT", "MODIFIED", "NOTE")
	for _, sm := range sms {
		t.row(sm.Name, formatPercent(sm.Percent), formatTime(sm.Modified), sm.Note)
	}
	return t.flush()
}
