package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gowaffle/waffle"
)

func TestSample(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.Contains(t, c.fails(1, "sample", "beta", "50"), `sample "beta" does not exist (add --create to create it)`)

		require.Equal(t, "Creating sample: beta\nSample beta: 12.5%\n", c.ok("sample", "beta", "12.5", "--create"))
		sm, err := c.s.GetSample(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, 12.5, sm.Percent)

		// 0 is a percent like any other (django-waffle's command refuses it).
		require.Equal(t, "Sample beta: 0%\n", c.ok("sample", "beta", "0"))
		sm, err = c.s.GetSample(ctx, "beta")
		require.NoError(t, err)
		require.Equal(t, 0.0, sm.Percent)

		require.Equal(t, "Sample beta: 100%\n", c.ok("sample", "beta", "100"))
		require.Equal(t, "Sample beta: 0.001%\n", c.ok("sample", "beta", "0.001"))

		require.Regexp(t, `^NAME\s+PERCENT\s+MODIFIED\s+NOTE\nbeta\s+0.001\s+\S+Z\n$`, c.ok("sample", "beta"))
		var one waffle.Sample
		c.json(&one, "sample", "beta", "--json")
		require.Equal(t, 0.001, one.Percent)
	})
}

func TestSampleKeepsNote(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.NoError(t, waffle.Save(ctx, c.s, &waffle.Sample{Name: "sm", Percent: 5, Note: "ops"}))
		c.ok("sample", "sm", "7")
		sm, err := c.s.GetSample(ctx, "sm")
		require.NoError(t, err)
		require.Equal(t, 7.0, sm.Percent)
		require.Equal(t, "ops", sm.Note)
	})
}

func TestSampleList(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.Equal(t, "NAME  PERCENT  MODIFIED  NOTE\n", c.ok("sample", "--list"))
		require.Equal(t, "[]\n", c.ok("sample", "--list", "--json"))
		c.ok("sample", "b", "100", "--create")
		c.ok("sample", "a", "33.3", "--create")
		out := lines(c.ok("sample", "--list"))
		require.Len(t, out, 3)
		require.Regexp(t, `^a\s+33.3\s+`, out[1])
		require.Regexp(t, `^b\s+100\s+`, out[2])
		var js []waffle.Sample
		c.json(&js, "sample", "--list", "--json")
		require.Len(t, js, 2)
		require.Equal(t, 33.3, js[0].Percent)
		require.Equal(t, 100.0, js[1].Percent)
	})
}

func TestSampleErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		c.ok("sample", "x", "10", "--create")
		for _, tc := range []struct {
			code int
			args []string
			msg  string
		}{
			{2, []string{"sample", "x", "abc"}, `invalid percent "abc"`},
			{2, []string{"sample", "x", "100.5"}, `invalid percent "100.5": must be from 0 to 100`},
			{2, []string{"sample", "--", "x", "-1"}, `invalid percent "-1"`},
			{2, []string{"sample", "x", "NaN"}, `invalid percent "NaN"`},
			{2, []string{"sample", "x", "Inf"}, `invalid percent "Inf"`},
			{2, []string{"sample", "y", "--create"}, "give a percent with --create"},
			{2, []string{"sample"}, "give a sample name and a percent, or --list"},
			{2, []string{"sample", "--list", "x"}, "--list takes no name"},
			{1, []string{"sample", "_y", "5", "--create"}, `invalid sample name "_y"`},
		} {
			require.Contains(t, c.fails(tc.code, tc.args...), tc.msg, "%q", tc.args)
		}
		sms, err := c.s.ListSamples(ctx)
		require.NoError(t, err)
		require.Len(t, sms, 1)
		require.Equal(t, 10.0, sms[0].Percent, "no failure wrote anything")
	})
}

func TestDeleteSamples(t *testing.T) {
	eachDB(t, func(t *testing.T, c *cli) {
		require.NoError(t, c.s.SetSample(ctx, "a", 1))
		require.NoError(t, c.s.SetSample(ctx, "b", 1))
		require.Equal(t, "Deleted 1 Samples\nNot found: sample \"nope\"\n", c.ok("delete", "--sample", "a", "--sample", "nope"))
		sms, err := c.s.ListSamples(ctx)
		require.NoError(t, err)
		require.Len(t, sms, 1)
	})
}
