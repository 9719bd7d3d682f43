// Package staterun is what the requestState and handle checks of one run
// share: the survey of the requests that issue requestState (followed
// round after round until they complete), the classification of retry
// answers, and the mutation families of a state string. It lives in the
// run's store (check.Shared), so that the survey runs once.
package staterun
