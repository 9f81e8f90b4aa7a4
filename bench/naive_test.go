package bench

import (
	"time"

	"github.com/gowaffle/waffle/internal/bucket"

	"gorm.io/gorm"

	"github.com/gowaffle/waffle"
)

// GORM models over the library's tables, as an application would write them
// to read flags by hand: the Naive implementation of the benchmarks. They are
// deliberately ordinary: GORM's conventions, associations declared with tags
// and loaded with Preload.

type naiveSwitch struct {
	ID       int64
	Name     string
	Active   bool
	Note     string
	Created  time.Time
	Modified time.Time
}

func (naiveSwitch) TableName() string { return "waffle_switch" }

type naiveSample struct {
	ID       int64
	Name     string
	Percent  float64
	Note     string
	Created  time.Time
	Modified time.Time
}

func (naiveSample) TableName() string { return "waffle_sample" }

type naiveStringFlag struct {
	ID       int64
	Name     string
	Value    *string
	Created  time.Time
	Modified time.Time
}

func (naiveStringFlag) TableName() string { return "waffle_string_flag" }

// naiveEvalFlag is a flag with its listed users (has many) and groups (many to
// many through waffle_flag_group), each group with its members (has many).
type naiveEvalFlag struct {
	ID            int64
	Name          string
	Everyone      *bool
	Percent       *float64
	Testing       bool
	Superusers    bool
	Staff         bool
	Authenticated bool
	Languages     string
	Rollout       bool
	Note          string
	Created       time.Time
	Modified      time.Time

	Users  []naiveFlagUser  `gorm:"foreignKey:FlagID"`
	Groups []naiveEvalGroup `gorm:"many2many:waffle_flag_group;joinForeignKey:FlagID;joinReferences:GroupID"`
}

func (naiveEvalFlag) TableName() string { return "waffle_flag" }

type naiveFlagUser struct {
	FlagID int64  `gorm:"primaryKey"`
	UserID string `gorm:"primaryKey"`
}

func (naiveFlagUser) TableName() string { return "waffle_flag_user" }

type naiveEvalGroup struct {
	ID      int64
	Name    string
	Created time.Time
	Members []naiveGroupMember `gorm:"foreignKey:GroupID"`
}

func (naiveEvalGroup) TableName() string { return "waffle_group" }

type naiveGroupMember struct {
	GroupID int64  `gorm:"primaryKey"`
	UserID  string `gorm:"primaryKey"`
}

func (naiveGroupMember) TableName() string { return "waffle_group_member" }

// naiveFlagIsActive is the evaluation a user writes with GORM: load the flag
// with its users and groups (and their members) through the associations,
// then look for the user.
func naiveFlagIsActive(db *gorm.DB, name string, u *waffle.User) (bool, error) {
	var f naiveEvalFlag
	err := db.Preload("Users").Preload("Groups.Members").Where("name = ?", name).First(&f).Error
	if found, err := noRows(err); !found {
		return false, err
	}
	if f.Everyone != nil {
		return *f.Everyone, nil
	}
	if f.Authenticated && u.Authenticated || f.Staff && u.Staff || f.Superusers && u.Superuser {
		return true, nil
	}
	for _, fu := range f.Users {
		if fu.UserID == u.ID {
			return true, nil
		}
	}
	for _, g := range f.Groups {
		for _, m := range g.Members {
			if m.UserID == u.ID {
				return true, nil
			}
		}
	}
	if f.Percent != nil && *f.Percent > 0 {
		return bucket.Percent(name, u.ID) < *f.Percent, nil
	}
	return false, nil
}
